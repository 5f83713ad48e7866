from tests.access.matrix import SIGNED_IN_OK, Rule

RULES = [
    # Every signed-in person has a home (an account without a role is told so); visitors go to sign in.
    Rule("home", expect=SIGNED_IN_OK),
]
