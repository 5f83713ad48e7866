"""A school morning for locust (started headless by cluster/run.py; CLUSTER_PLAN names its plan file).

Teachers open their own section's register, save it with two pupils marked absent and late (the whole form
posted, with its CSRF token, as a browser without JavaScript does), open it again and mark two more live
(the HTMX row posts the page's script sends). Guardians open their fees page and a child's grades. Every
open page polls the notification bell. Each person is signed in already: the plan carries the session
cookies that cluster/run.py made in Redis (a login is a PBKDF2 hash by design, not what a morning costs).

A request counts as failed unless it answers what a person would see: the page (200 with its content), the
redirect after a save, or the bell's 200/204. Anything else (a 4xx, a 5xx, a reset, a time-out) is an error.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from html.parser import HTMLParser

from locust import HttpUser, between, task

PLAN = json.loads(open(os.environ["CLUSTER_PLAN"], encoding="utf-8").read())  # noqa: SIM115
_teachers = itertools.count()
_guardians = itertools.count()
STUDENT_FIELD = re.compile(r"^s(\d+)-status$")


class FormFields(HTMLParser):
    """The fields of the register's save form as the browser would post them (checked radios only)."""

    def __init__(self, action: str):
        super().__init__()
        self.action = action
        self.inside = False
        self.fields: dict[str, str] = {}
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.inside = attributes.get("action") == self.action
        elif not self.inside:
            return
        elif tag == "input" and attributes.get("name"):
            kind = attributes.get("type", "text")
            if kind in ("radio", "checkbox") and "checked" not in attributes:
                return
            if kind in ("submit", "button"):
                return
            self.fields[attributes["name"]] = attributes.get("value") or ""
        elif tag == "textarea" and attributes.get("name"):
            self.textarea = attributes["name"]
            self.fields[self.textarea] = ""

    def handle_data(self, data):
        if self.textarea:
            self.fields[self.textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self.textarea = None


class Person(HttpUser):
    abstract = True
    wait_time = between(1, 3)

    def sign_in(self, cookie: dict[str, str]) -> None:
        # Secure cookies: the site is HTTPS (nginx) and the session cookie is only sent there.
        self.client.verify = False
        self.client.cookies.set(cookie["name"], cookie["value"])

    def bell(self) -> None:
        with self.client.get(
            "/notifications/bell/", headers={"HX-Request": "true"}, name="bell poll", catch_response=True
        ) as response:
            if response.status_code not in (200, 204):
                response.failure(f"HTTP {response.status_code}")

    def page(self, url: str, name: str, must_contain: str) -> str:
        with self.client.get(url, name=name, catch_response=True, allow_redirects=False) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code} {response.headers.get('Location', '')}")
                return ""
            if must_contain not in response.text:
                response.failure("200 without the page's content")
                return ""
            return response.text


class Teacher(Person):
    weight = 1

    def on_start(self):
        me = PLAN["teachers"][next(_teachers) % len(PLAN["teachers"])]
        self.sign_in(me["cookie"])
        self.register = me["register"]
        self.url = f"/attendance/registers/{self.register}/"

    def form(self) -> dict[str, str]:
        html = self.page(self.url, "register page", 'name="csrfmiddlewaretoken"')
        parser = FormFields(f"{self.url}save/")
        parser.feed(html)
        return parser.fields

    def post(self, url: str, data: dict[str, str], name: str, expect: int, **headers) -> None:
        headers = {"Referer": self.client.base_url + self.url, **headers}
        with self.client.post(
            url, data=data, headers=headers, name=name, catch_response=True, allow_redirects=False
        ) as response:
            if response.status_code != expect:
                response.failure(f"HTTP {response.status_code}")
            elif expect == 200 and "is-invalid" in response.text:
                response.failure("the mark was refused")

    @task
    def take_the_register(self):
        fields = self.form()
        students = [int(m.group(1)) for name in fields if (m := STUDENT_FIELD.match(name))]
        if not students:
            return
        absent, late = random.sample(students, 2)
        fields.update(
            {f"s{absent}-status": "absent", f"s{late}-status": "late", f"s{late}-late_minutes": "10"}
        )
        fields["action"] = "save"
        self.post(f"{self.url}save/", fields, "register save", 302)
        self.bell()
        fields = self.form()
        token = fields.get("csrfmiddlewaretoken", "")
        for student in random.sample(students, 2):
            status = random.choice(["absent", "late", "present"])
            data = {"student": str(student), f"s{student}-status": status}
            if status == "late":
                data[f"s{student}-late_minutes"] = "5"
            for name in ("status", "late_minutes", "reason", "note"):
                data[f"initial-s{student}-{name}"] = fields.get(f"initial-s{student}-{name}", "")
            self.post(
                f"{self.url}mark/",
                data,
                "register live mark",
                200,
                **{"HX-Request": "true", "X-CSRFToken": token},
            )


class Guardian(Person):
    weight = 2

    def on_start(self):
        me = PLAN["guardians"][next(_guardians) % len(PLAN["guardians"])]
        self.sign_in(me["cookie"])
        self.children = me["children"]

    @task(2)
    def fees(self):
        self.page("/fees/family/", "guardian fees", 'id="main"')
        self.bell()

    @task(3)
    def grades(self):
        child = random.choice(self.children)
        self.page(f"/grades/children/{child}/", "guardian grades", 'id="main"')
        self.bell()
