"""What e-commerce platforms use: notices of holds and recalls, webhooks, the recall feed."""
