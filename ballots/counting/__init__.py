"""The count of a ballot round: scans in, the committee's review, reconciliation, the close."""
