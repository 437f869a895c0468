"""Hearth's domain: models and the services that hold every community rule."""
