"""Stores: every place the TF config store can live, behind one small streaming interface."""
