"""What proves a count: the signed minutes, the audit bundle and its independent recount."""
