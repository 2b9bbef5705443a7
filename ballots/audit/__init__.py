"""The hand audit of a closed count (a risk-limiting ballot-comparison audit) and its record."""
