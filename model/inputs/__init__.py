"""Inputs of the model: the parameter catalogue, scenario files and calibrated samples."""
