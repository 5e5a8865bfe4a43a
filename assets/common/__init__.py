"""The base layer every other package builds on, importing nothing above it: the warehouse and
settings resources with the run context, the settings files, and the small helpers every layer
uses (tables, metadata, quarantine, statuses, consistency of inputs, files)."""
