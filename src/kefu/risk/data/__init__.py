"""Lists of sanctioned and scam addresses shipped with Kefu (see README.md here)."""
