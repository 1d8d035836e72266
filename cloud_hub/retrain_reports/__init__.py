"""Retrain reports: what `pm25-train retrain` decided (markdown, plots, decision.json), uploaded
by the training box and kept in a folder under the hub's data_dir for the console to show."""
