from django.apps import AppConfig


class TimetableConfig(AppConfig):
    name = "modules.timetable"
    label = "timetable"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Timetable"

    def ready(self) -> None:
        from modules.communications.kinds import kind_register
        from modules.timetable.notifications import KINDS

        # Declares the timetable's kinds of notification to communications (modules/communications/kinds.py).
        for kind in KINDS:
            kind_register(kind)

        # The school's frame of a week (cached: modules/timetable/selectors.py) is read again after any change
        # to the rows it holds.
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from modules.academics.models import CalendarEvent, Period, Term
        from modules.timetable.models import TimetableSettings
        from modules.timetable.selectors import school_frame_changed

        for model in (CalendarEvent, Period, Term, TimetableSettings):
            uid = f"timetable.frame.{model.__name__}"
            post_save.connect(school_frame_changed, sender=model, dispatch_uid=uid)
            post_delete.connect(school_frame_changed, sender=model, dispatch_uid=uid)
        periods = TimetableSettings.periods.through
        m2m_changed.connect(school_frame_changed, sender=periods, dispatch_uid="timetable.frame.periods")
