"""What happens to a case that others may want to hear of. The workflow sends these inside the
move's transaction; the notifications app listens (it builds on cases, not the reverse), so
whoever is told is told with the move, and a rolled-back move tells no one."""

from django.dispatch import Signal

# case, actor: a case was accepted for, or assigned to, an owner.
case_assigned = Signal()
# task, actor: a task of the plan was created (on the case page or in a meeting).
task_assigned = Signal()
# escalation, actor: a case was escalated to the street (督办) / the street answered.
escalation_raised = Signal()
escalation_answered = Signal()
