"""Meeting events others may want to hear of, sent inside the meeting's transaction; the
notifications app listens."""

from django.dispatch import Signal

# meeting, participants, actor -> each receiver returns the ids of the participants it told.
participants_invited = Signal()
