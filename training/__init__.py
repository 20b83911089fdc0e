"""Training code for pilkada-nlp: corpus building, trainers and evaluation (not part of the runtime package)."""
