"""The team lead's hub database (SQLAlchemy): merged events of every device."""
