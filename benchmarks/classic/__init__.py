"""The classic-Mesa reference model, written from ``model/ODD.md`` (see :mod:`.economy`)."""
