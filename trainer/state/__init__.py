"""Observed state: the document, its stores (file and git), and how to open one."""
