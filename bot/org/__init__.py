"""Organisation-level figures a vendor reports only for the whole organisation."""
