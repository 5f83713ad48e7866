from django.apps import AppConfig


class AcademicsConfig(AppConfig):
    name = "modules.academics"
    label = "academics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from modules.academics.services import student_is_enrolled_or_unplaced
        from modules.people.services import student_standing_register

        student_standing_register("academics.enrolment", student_is_enrolled_or_unplaced)
