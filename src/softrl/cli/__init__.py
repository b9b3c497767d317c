"""Command-line interface (`softrl ...`)."""
