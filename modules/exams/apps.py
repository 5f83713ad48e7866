from django.apps import AppConfig


class ExamsConfig(AppConfig):
    name = "modules.exams"
    label = "exams"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from modules.communications.kinds import kind_register
        from modules.exams.notifications import KINDS

        # Declares exams's kinds of notification to communications (modules/communications/kinds.py).
        for kind in KINDS:
            kind_register(kind)

        from modules.exams.feed import exam_feed_events
        from modules.timetable.feeds import feed_source_register

        # Exam sittings in the personal calendar feed (modules/timetable/feeds.py).
        feed_source_register(exam_feed_events)
