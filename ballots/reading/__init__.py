"""The pure half of reading a ballot: load the scan, place the page, score every target."""
