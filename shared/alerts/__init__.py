"""The alert-understanding layer: alert text, labels and the alert target (`AlertContext`), on the core."""
