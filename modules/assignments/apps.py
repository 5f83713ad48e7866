from django.apps import AppConfig


class AssignmentsConfig(AppConfig):
    name = "modules.assignments"
    label = "assignments"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Assignments"

    def ready(self) -> None:
        from modules.assignments.notifications import KINDS
        from modules.communications.kinds import kind_register

        # Declares the assignments' kinds of notification to communications (modules/communications/kinds.py).
        for kind in KINDS:
            kind_register(kind)

        from modules.assignments.feed import homework_feed_events
        from modules.timetable.feeds import feed_source_register

        # Homework due dates in the personal calendar feed (modules/timetable/feeds.py).
        feed_source_register(homework_feed_events)
