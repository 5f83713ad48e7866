from django.urls import reverse
from tests import factories as f
from tests.exams.test_gradebook import scale_for


def test_shot(phone_page, page, login, teacher, school):
    scale_for(school.section.grade_level)
    for n in range(8):
        f.EnrollmentFactory(student=f.StudentFactory(last_name=f"Pupil{n}"), section=school.section)
    for n in range(6):
        q = f.AssessmentFactory(offering=school.offering, term=school.term, name=f"Quiz {n}", max_score=20)
        f.MarkFactory(assessment=q, student=school.child, score=10 + n)
    for p, name in ((page, "desk"), (phone_page, "phone")):
        login(p, teacher)
        p.goto(reverse("exams:gradebook", args=[school.offering.pk]))
        p.locator(".gb-input").nth(2).fill("99")
        p.keyboard.press("Enter")
        p.wait_for_selector(".gb-error")
        p.screenshot(path=f"/tmp/gbbench/{name}.png", full_page=False)
