"""Collectors: one per vendor usage API, each turning a vendor's report into daily usage rows."""
