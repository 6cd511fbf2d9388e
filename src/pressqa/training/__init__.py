"""Training the learned reader: its data (release questions, QAMR, SQuAD-style sets) and the trainer."""
