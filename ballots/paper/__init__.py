"""The printed ballot: its layout, its PDF and the serials and page tokens it carries."""
