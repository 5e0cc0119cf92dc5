"""Fine-tuning providers behind one small interface; OpenAI through the official SDK."""
