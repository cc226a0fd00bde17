"""The application layer: commands on the eventsourcing library, and the async gateway to them."""
