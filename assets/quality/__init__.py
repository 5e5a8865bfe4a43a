"""Quality layer: how trustworthy each source system's data is (the data-quality scorecard)."""
