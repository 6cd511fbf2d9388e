"""Reading: the question's type, the heuristic and learned span readers, calibration and training."""
