"""Training: MFT data by rejection sampling, MFT (SFT) and RARL (Dr. GRPO) with TRL."""
