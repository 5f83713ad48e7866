"""Photo thumbnails (modules/people/views_photos.py): the same access as the photos themselves."""

from tests.access.declarations.people import STAFF_SCOPE, STUDENT_SCOPE, _with_photo
from tests.access.matrix import Rule

RULES = [
    Rule("people:student_photo_thumbnail", kwargs=lambda s: _with_photo(s.child), expect=STUDENT_SCOPE),
    Rule("people:staff_photo_thumbnail", kwargs=lambda s: _with_photo(s.teacher_staff), expect=STAFF_SCOPE),
]
