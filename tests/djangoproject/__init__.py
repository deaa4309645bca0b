"""A small Django project for tests/test_flags_django.py (settings live in that module)."""
