"""Understanding customer messages: language, intent, sentiment, urgency (issue 4)."""
