"""Figures a vendor reports only for a whole organisation, never per person."""
