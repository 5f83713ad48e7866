"""The timetable solver: Google OR-Tools CP-SAT.

The model. A class's lessons are not told apart: for each *event* (a class, or a joint group whose member
classes are placed together) and each slot (weekday × teaching period) there is one boolean "a single lesson
starts here" and one "a double starts here" (only where the next teaching period of the day follows). Lesson
counts are sums of these, so the usual symmetry between a class's identical lessons does not exist at all,
and a class never has two lessons in one slot. Sections and teachers take at most one event per slot; a class
whose teacher the solver chooses among candidates has one choice boolean per candidate and, per slot, which
candidate teaches it then (tied to the choice). Rooms are capacities: for every set of rooms a lesson may
take (and unions of them), the lessons that can only go there are no more than the free rooms of the set in
each slot; the rooms themselves are then given day by day by a small exact model (a double keeps its room),
and if that ever fails the whole problem is solved again with a room boolean per lesson start. Soft wishes
(teachers' gaps, a class twice a day, heavy subjects late, lessons on a teacher's preferred free day) are
the weighted objective.

When it cannot be done: the same model is built with one assumption literal per requirement (a class's
lesson count, its double periods, a teacher's unavailable periods, a teacher's daily maximum, a room's
unavailable periods, each pin, each locked lesson); CP-SAT's `sufficient_assumptions_for_infeasibility`
gives a set that cannot hold together, made minimal by deleting one requirement at a time with short
re-solves, then put into conflicts (explain.py puts them into words).

Partial mode keeps every rule but lets lessons go unplaced where the requirements cannot all hold: every
class is placed whole first; when that cannot be, the classes a count (or else the minimal set of clashing
requirements) names may leave lessons out, and the search runs again, placing as many as it can first (the
soft wishes only break ties). Each unplaced lesson says why: that count or clash.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from ortools.sat.python import cp_model

from modules.timetable.models import Outcome
from modules.timetable.problem import ClassReq, Placement, Problem

# A union of room sets is added as a capacity of its own up to this many sets (beyond: the exact fallback).
MAX_ROOM_SETS = 200
# After the first timetable, stop when the soft score has not improved for this share of the time limit
# (at least STALL_MIN seconds): the last few points of a soft score are not worth a minute of waiting.
STALL_SHARE = 0.2
STALL_MIN = 3.0
STALL_GAIN = 0.01
# Time kept back from the search for giving rooms and writing the result.
RESERVE_SHARE = 0.05
# Explaining: each re-solve of the minimisation gets at most this long.
SHRINK_SOLVE_SECONDS = 3.0


@dataclass
class Unplaced:
    requirement_id: int
    length: int
    teacher_id: int | None
    reason: dict  # a conflict


@dataclass
class Solution:
    outcome: str  # models.Outcome value
    placements: list[Placement]  # the whole timetable, the locked lessons included
    unplaced: list[Unplaced] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)  # INFEASIBLE: the smallest set that cannot hold
    score: int | None = None
    broken: list[dict] = field(default_factory=list)
    stats: dict = field(default_factory=dict)


# --- the problem as events and slots ------------------------------------------------------------------


@dataclass
class Event:
    """What the model places: one class, or a joint group's classes together."""

    index: int
    members: list[ClassReq]
    singles: int
    doubles: int
    sections: tuple[int, ...]
    teachers: tuple[int, ...]  # fixed
    choosers: list[ClassReq]  # members whose teacher the solver picks among candidates
    room_sets: tuple[frozenset[int], ...]  # one room from each (members with the same set share a room)
    prefer_early: bool

    @property
    def label(self) -> str:
        return " + ".join(c.label for c in self.members)

    @property
    def periods(self) -> int:
        return self.singles + 2 * self.doubles


class Plan:
    """Slots, events and who is where, computed once from the Problem."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.days = problem.weekdays
        self.periods = problem.periods
        self.P = len(self.periods)
        self.T = len(self.days) * self.P
        self.slot_of = {
            (day, period): d * self.P + p
            for d, day in enumerate(self.days)
            for p, period in enumerate(self.periods)
        }
        self.rejected: list[tuple[ClassReq, dict]] = []  # classes no model can place, with why
        groups: dict[object, list[ClassReq]] = defaultdict(list)
        for c in problem.classes:
            groups[("joint", c.joint_id) if c.joint_id is not None else ("class", c.requirement_id)].append(c)
        self.events: list[Event] = []
        for members in groups.values():
            first = members[0]
            if any((c.singles, c.doubles) != (first.singles, first.doubles) for c in members):
                reason = conflict(
                    "joint_mismatch",
                    classes=[c.label for c in members],
                    class_ids=[c.requirement_id for c in members],
                )
                self.rejected += [(c, reason) for c in members]
                continue
            missing = [c for c in members if c.room_missing]
            if missing:
                for c in members:
                    self.rejected.append((c, conflict("no_room", **class_params(problem, missing[0]))))
                continue
            if first.lessons == 0:
                continue
            teachers = sorted({t for c in members for t in c.teachers})
            choosers = []
            for c in members:
                if c.candidates and len(c.candidates) == 1 and not c.teachers:
                    teachers = sorted({*teachers, c.candidates[0]})
                elif c.candidates and not c.teachers:
                    choosers.append(c)
            self.events.append(
                Event(
                    index=len(self.events),
                    members=members,
                    singles=first.singles,
                    doubles=first.doubles,
                    sections=tuple(sorted({c.section_id for c in members})),
                    teachers=tuple(teachers),
                    choosers=choosers,
                    room_sets=tuple(sorted({frozenset(c.rooms) for c in members if c.rooms}, key=sorted)),
                    prefer_early=any(c.prefer_early for c in members),
                )
            )
        self.event_of = {c.requirement_id: e for e in self.events for c in e.members}
        self.rooms = sorted({r for e in self.events for s in e.room_sets for r in s})

    def day_period(self, t: int) -> tuple[int, int]:
        return self.days[t // self.P], self.periods[t % self.P]

    def can_double(self, t: int) -> bool:
        return t % self.P + 1 < self.P

    def teacher_free(self, teacher: int) -> set[int]:
        unavailable = self.problem.teacher_unavailable.get(teacher, set())
        return {t for t in range(self.T) if self.day_period(t) not in unavailable}

    def room_free(self, room: int, t: int) -> bool:
        return self.day_period(t) not in self.problem.room_unavailable.get(room, set())


def conflict(code: str, **params) -> dict:
    return {"code": code, "params": params}


def class_params(problem: Problem, c: ClassReq) -> dict:
    return {"class": c.label, "class_id": c.requirement_id}


# --- the CP-SAT model ----------------------------------------------------------------------------------


class Model:
    """The CP-SAT model of a Plan.

    explain: every requirement is enforced only under its own assumption literal (`self.guards`), no
    objective. partial: lesson counts are upper bounds and placing lessons comes first in the objective.
    exact_rooms: a room boolean per lesson start and room (the fallback when rooms cannot be given after).
    """

    def __init__(
        self, plan: Plan, *, explain=False, partial=False, exact_rooms=False, extra_room_sets=(), relaxed=None
    ):
        self.plan = plan
        self.explain = explain
        self.partial = partial
        # Partial: the events whose lessons may be left out (None: every event).
        self.relaxed: set[int] | None = relaxed
        self.m = cp_model.CpModel()
        self.guards: list[tuple[cp_model.IntVar, tuple]] = []
        self.x: dict[tuple[int, int], cp_model.IntVar] = {}  # (event, slot): a single starts
        self.y: dict[tuple[int, int], cp_model.IntVar] = {}  # (event, slot): a double starts
        self.choice: dict[tuple[int, int], cp_model.IntVar] = {}  # (requirement, teacher)
        self.room_vars: dict[tuple[int, int, int, int], cp_model.IntVar] = {}  # (event, set, start key, room)
        self.penalties: list[tuple[int, object, int]] = []  # (weight, variable, its largest value)
        self.placed_terms: list = []
        self._build(exact_rooms, extra_room_sets)

    # Requirements guarded by literals when explaining; always on otherwise.
    def guard(self, *key) -> cp_model.IntVar | None:
        if not self.explain:
            return None
        literal = self.m.new_bool_var(str(key))
        self.guards.append((literal, key))
        return literal

    def enforce(self, constraint, literals) -> None:
        literals = [lit for lit in literals if lit is not None]
        if literals:
            constraint.only_enforce_if(literals)

    def occupancy(self, e: int, t: int) -> list:
        P = self.plan.P
        terms = []
        if (e, t) in self.x:
            terms.append(self.x[(e, t)])
        if (e, t) in self.y:
            terms.append(self.y[(e, t)])
        if t % P > 0 and (e, t - 1) in self.y:
            terms.append(self.y[(e, t - 1)])
        return terms

    def _build(self, exact_rooms: bool, extra_room_sets) -> None:
        plan, problem = self.plan, self.plan.problem
        self.teacher_free = {t: plan.teacher_free(t) for e in plan.events for t in e.teachers}
        everyone = {t for e in plan.events for t in e.teachers}
        everyone |= {k for e in plan.events for c in e.choosers for k in c.candidates}
        self.avail_guard = {
            teacher: self.guard("unavailable", teacher)
            for teacher in sorted(everyone)
            if problem.teacher_unavailable.get(teacher)
        }
        self._starts()
        self._counts()
        occ = {(e.index, t): self.occupancy(e.index, t) for e in plan.events for t in range(plan.T)}
        if self.explain:
            self._fixed_teachers_away(occ)
        busy = self._teachers(occ)
        self._once_at_a_time(occ, busy)
        self._day_limits(busy)
        self._fixed()
        self._rooms(occ, exact_rooms, extra_room_sets)
        if not self.explain:
            self._wishes(busy)

    def _starts(self) -> None:
        """Where an event may start: in the fast model, only where its fixed teachers are free."""
        plan, m = self.plan, self.m
        for e in plan.events:
            free = set(range(plan.T))
            if not self.explain:
                for teacher in e.teachers:
                    free &= self.teacher_free[teacher]
            # When explaining, relaxed double periods may be placed as singles.
            singles = e.singles or (self.explain and e.doubles)
            for t in sorted(free):
                if singles:
                    self.x[(e.index, t)] = m.new_bool_var(f"x{e.index}_{t}")
                if e.doubles and plan.can_double(t) and t + 1 in free:
                    self.y[(e.index, t)] = m.new_bool_var(f"y{e.index}_{t}")

    def _counts(self) -> None:
        """Lesson counts (and double periods: relaxing them lets a double go as two singles)."""
        plan, m = self.plan, self.m
        for e in plan.events:
            xs = [v for t in range(plan.T) if (v := self.x.get((e.index, t))) is not None]
            ys = [v for t in range(plan.T) if (v := self.y.get((e.index, t))) is not None]
            if self.partial and (self.relaxed is None or e.index in self.relaxed):
                m.add(sum(xs) <= e.singles)
                m.add(sum(ys) <= e.doubles)
                self.placed_terms += xs + ys
                continue
            count = self.guard("lessons", e.index)
            double = self.guard("doubles", e.index) if e.doubles else None
            self.enforce(m.add(sum(xs) == e.singles), [count, double])
            self.enforce(m.add(sum(ys) == e.doubles), [count, double])
            if double is not None:
                self.enforce(m.add(sum(xs) + 2 * sum(ys) == e.periods), [count, double.Not()])

    def _fixed_teachers_away(self, occ) -> None:
        """Teachers' unavailable periods, when explaining (the fast model left those starts out)."""
        for e in self.plan.events:
            for teacher in e.teachers:
                for t in range(self.plan.T):
                    if t not in self.teacher_free[teacher] and occ[(e.index, t)]:
                        constraint = self.m.add(sum(occ[(e.index, t)]) == 0)
                        self.enforce(constraint, [self.avail_guard.get(teacher)])

    def _teachers(self, occ) -> dict[int, dict[int, list]]:
        """Who teaches in each slot: fixed teachers, and a class's chosen candidate (one for all lessons)."""
        plan, m = self.plan, self.m
        busy: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
        for e in plan.events:
            for teacher in e.teachers:
                for t in range(plan.T):
                    busy[teacher][t] += occ[(e.index, t)]
            for c in e.choosers:
                picks = {k: m.new_bool_var(f"z{c.requirement_id}_{k}") for k in c.candidates}
                m.add_exactly_one(picks.values())
                for k, pick in picks.items():
                    self.choice[(c.requirement_id, k)] = pick
                free_k = {k: plan.teacher_free(k) for k in c.candidates}
                for t in range(plan.T):
                    if not occ[(e.index, t)]:
                        continue
                    who = {k: m.new_bool_var(f"w{c.requirement_id}_{k}_{t}") for k in c.candidates}
                    m.add(sum(who.values()) == sum(occ[(e.index, t)]))
                    for k, var in who.items():
                        m.add_implication(var, picks[k])
                        busy[k][t].append(var)
                        if t not in free_k[k]:
                            self.enforce(m.add(var == 0), [self.avail_guard.get(k)])
        return busy

    def _once_at_a_time(self, occ, busy) -> None:
        """Nobody in two places at once, with redundant counts of each week (and a teacher's days) against
        the free periods: a counting contradiction is then found by presolve, not by search."""
        plan, m, T = self.plan, self.m, self.plan.T
        for slots in busy.values():
            for terms in slots.values():
                if len(terms) > 1:
                    m.add_at_most_one(terms)
        by_section: dict[int, list[int]] = defaultdict(list)
        for e in plan.events:
            for s in e.sections:
                by_section[s].append(e.index)
        for events in by_section.values():
            week = []
            for t in range(T):
                terms = [v for ev in events for v in occ[(ev, t)]]
                week += terms
                if len(terms) > 1:
                    m.add_at_most_one(terms)
            if len(week) > T:
                m.add(sum(week) <= T)
        for teacher, slots in busy.items():
            free = plan.teacher_free(teacher)
            guard = self.avail_guard.get(teacher)
            week = [v for t in range(T) for v in slots.get(t, [])]
            if len(week) > len(free):
                self.enforce(m.add(sum(week) <= len(free)), [guard])
            for d in range(len(plan.days)):
                day = range(d * plan.P, (d + 1) * plan.P)
                terms = [v for t in day for v in slots.get(t, [])]
                open_ = sum(1 for t in day if t in free)
                if len(terms) > open_:
                    self.enforce(m.add(sum(terms) <= open_), [guard])

    def _day_limits(self, busy) -> None:
        """Teachers' most periods a day."""
        plan = self.plan
        for teacher, most in plan.problem.teacher_max_per_day.items():
            if teacher not in busy or most >= plan.P:
                continue
            limit = self.guard("day_limit", teacher)
            for d in range(len(plan.days)):
                terms = [v for t in range(d * plan.P, (d + 1) * plan.P) for v in busy[teacher].get(t, [])]
                if len(terms) > most:
                    self.enforce(self.m.add(sum(terms) <= most), [limit])

    def _fix(self, e: Event, day: int, period: int, length: int, literal) -> None:
        t = self.plan.slot_of.get((day, period))
        var = None if t is None else (self.x if length == 1 else self.y).get((e.index, t))
        if var is None:  # a slot it cannot take (a teacher away, no period after it for a double)
            self.m.add_bool_or([literal.Not()] if literal is not None else [])
        else:
            self.enforce(self.m.add(var == 1), [literal])

    def _fixed(self) -> None:
        """Pins and locked lessons (a locked lesson also keeps its chosen teacher)."""
        plan = self.plan
        for e in plan.events:
            for c in e.members:
                for i, (day, period, double) in enumerate(c.pins):
                    self._fix(e, day, period, 2 if double else 1, self.guard("pin", c.requirement_id, i))
        for i, lock in enumerate(plan.problem.locked):
            event = plan.event_of.get(lock.requirement_id)
            if event is None:
                continue
            literal = self.guard("locked", i)
            self._fix(event, lock.weekday, lock.period_id, lock.length, literal)
            pick = self.choice.get((lock.requirement_id, lock.teacher_id or 0))
            if pick is not None:
                self.enforce(self.m.add(pick == 1), [literal])

    def _rooms(self, occ, exact_rooms: bool, extra_room_sets) -> None:
        """Rooms as capacities: in each slot, the lessons that can only go to a set of rooms (or a union of
        such sets) are no more than the set's free rooms."""
        plan, m = self.plan, self.m
        self.room_guard = {
            room: self.guard("room_unavailable", room)
            for room in plan.rooms
            if plan.problem.room_unavailable.get(room)
        }
        demands: dict[frozenset[int], list[int]] = defaultdict(list)
        for e in plan.events:
            for rooms in e.room_sets:
                demands[rooms].append(e.index)
        for union in _room_unions(list(demands)) | set(extra_room_sets):
            inside = [ev for rooms, events in demands.items() if rooms <= union for ev in events]
            for t in range(plan.T):
                terms = [v for ev in inside for v in occ[(ev, t)]]
                cap = self._capacity(union, t)
                if terms and not (isinstance(cap, int) and cap >= len(terms)):
                    m.add(sum(terms) <= cap)
        if exact_rooms:
            self._exact_rooms()

    def _capacity(self, rooms: frozenset[int], t: int):
        """The rooms of a set free in slot t (a room's unavailability relaxed counts it free)."""
        free = sum(1 for r in rooms if self.plan.room_free(r, t))
        relaxable = [
            guard.Not()
            for r in rooms
            if not self.plan.room_free(r, t) and (guard := self.room_guard.get(r)) is not None
        ]
        return free + sum(relaxable) if relaxable else free

    def _exact_rooms(self) -> None:
        """The fallback when rooms could not be given after solving: which room each lesson start takes."""
        plan, m = self.plan, self.m
        use: dict[tuple[int, int], list] = defaultdict(list)
        starts = [("x", e, t, 1, v) for (e, t), v in self.x.items()] + [
            ("y", e, t, 2, v) for (e, t), v in self.y.items()
        ]
        for kind, e, t, length, var in starts:
            for si, rooms in enumerate(plan.events[e].room_sets):
                choices = []
                for r in sorted(rooms):
                    if all(plan.room_free(r, t + k) for k in range(length)):
                        a = m.new_bool_var(f"r{e}_{si}_{kind}{t}_{r}")
                        self.room_vars[(e, si, hash((kind, t)), r)] = a
                        choices.append(a)
                        for k in range(length):
                            use[(r, t + k)].append(a)
                m.add(sum(choices) == var)
        for terms in use.values():
            if len(terms) > 1:
                m.add_at_most_one(terms)

    def _wishes(self, busy) -> None:
        """The soft wishes, as weighted penalties (switched off by a weight of 0)."""
        weights = self.plan.problem.weights
        if weights.get("spread"):
            self._wish_spread(weights["spread"])
        if weights.get("early"):
            self._wish_early(weights["early"])
        if weights.get("free_day"):
            self._wish_free_day(weights["free_day"], busy)
        if weights.get("gaps") and self.plan.P > 2:
            for slots in busy.values():
                for d in range(len(self.plan.days)):
                    self._wish_no_gaps(weights["gaps"], slots, d)

    def _wish_spread(self, weight: int) -> None:
        """A class's lessons on different days: each lesson beyond the first on a day costs `weight`."""
        P = self.plan.P
        for e in self.plan.events:
            if e.singles + e.doubles <= 1:
                continue
            for d in range(len(self.plan.days)):
                day = range(d * P, (d + 1) * P)
                starts = [
                    v
                    for t in day
                    for v in (self.x.get((e.index, t)), self.y.get((e.index, t)))
                    if v is not None
                ]
                if len(starts) > 1:
                    extra = self.m.new_int_var(0, len(starts), f"spread{e.index}_{d}")
                    self.m.add(extra >= sum(starts) - 1)
                    self.penalties.append((weight, extra, len(starts)))

    def _wish_early(self, weight: int) -> None:
        """Heavy subjects early: a lesson reaching past the middle of the day costs `weight`."""
        P = self.plan.P
        for e in self.plan.events:
            if not e.prefer_early:
                continue
            for t in range(self.plan.T):
                p = t % P
                if 2 * p > P - 1 and (e.index, t) in self.x:
                    self.penalties.append((weight, self.x[(e.index, t)], 1))
                if 2 * (p + 1) > P - 1 and (e.index, t) in self.y:
                    self.penalties.append((weight, self.y[(e.index, t)], 1))

    def _wish_free_day(self, weight: int, busy) -> None:
        """A teacher teaching on their preferred free day costs `weight`."""
        plan, P = self.plan, self.plan.P
        for teacher, day in plan.problem.teacher_free_day.items():
            if teacher not in busy or day not in plan.days:
                continue
            d = plan.days.index(day)
            terms = [v for t in range(d * P, (d + 1) * P) for v in busy[teacher].get(t, [])]
            if terms:
                teaches = self.m.new_bool_var(f"free{teacher}")
                self.m.add(sum(terms) <= P * teaches)
                self.penalties.append((weight, teaches, 1))

    def _wish_no_gaps(self, weight: int, slots, d: int) -> None:
        """Each free period between a teacher's first and last lesson of day `d` costs `weight`: a gap is
        a free period after some lesson (started) and before another (going on)."""
        m, P = self.m, self.plan.P
        b = [sum(slots[d * P + p]) if slots.get(d * P + p) else 0 for p in range(P)]
        if sum(1 for v in b if not isinstance(v, int)) < 2:
            return
        started = [m.new_bool_var("") for _p in range(P)]
        going = [m.new_bool_var("") for _p in range(P)]
        for p in range(P):
            if not isinstance(b[p], int):
                m.add(started[p] >= b[p])
                m.add(going[p] >= b[p])
            if p:
                m.add(started[p] >= started[p - 1])
            if p < P - 1:
                m.add(going[p] >= going[p + 1])
        for p in range(1, P - 1):
            gap = m.new_bool_var("")
            m.add(gap >= started[p - 1] + going[p + 1] - 1 - b[p])
            self.penalties.append((weight, gap, 1))

    def objective(self) -> None:
        soft = cp_model.LinearExpr.weighted_sum(
            [v for _w, v, _m in self.penalties], [w for w, _v, _m in self.penalties]
        )
        if self.partial:
            # Lexicographic: one more lesson placed outweighs every soft wish together.
            bound = sum(w * most for w, _v, most in self.penalties)
            self.m.minimize((bound + 1) * (len(self.placed_terms) - sum(self.placed_terms)) + soft)
        elif self.penalties:
            self.m.minimize(soft)


def _room_unions(sets: list[frozenset[int]]) -> set[frozenset[int]]:
    """The room sets lessons ask for and the unions of overlapping ones (all unions when few), up to
    MAX_ROOM_SETS: Hall's condition for giving every lesson a room, where it matters."""
    closure = set(sets)
    frontier = list(sets)
    while frontier and len(closure) <= MAX_ROOM_SETS:
        grown = []
        for a in frontier:
            for b in sets:
                union = a | b
                if union not in closure and (a & b or len(sets) < 30):
                    closure.add(union)
                    grown.append(union)
        frontier = grown
    return closure


# --- solving -------------------------------------------------------------------------------------------


class _Stall(cp_model.CpSolverSolutionCallback):
    """Reports each better timetable, and stops the search once the soft score has improved by less than
    STALL_GAIN over the last `patience` seconds: the last points of a soft score are not worth the wait."""

    def __init__(self, patience: float, say: Callable[[str], None]):
        super().__init__()
        self.patience = patience
        self.say = say
        self.history: list[tuple[float, float]] = []  # (when, best score then)

    def on_solution_callback(self) -> None:
        value = self.objective_value
        if not self.history or value < self.history[-1][1]:
            self.history.append((time.monotonic(), value))
            self.say(_("Found a timetable; improving it (soft score %(score)s).") % {"score": int(value)})

    def check(self) -> None:
        if not self.history:
            return
        now = time.monotonic()
        if now - self.history[0][0] < self.patience:
            return
        before = [value for when, value in self.history if when <= now - self.patience]
        then = before[-1] if before else self.history[0][1]
        best = self.history[-1][1]
        if then - best <= max(STALL_GAIN * then, 0.5):
            self.stop_search()


def _run(model: Model, *, time_limit: float, workers: int, say, hint=None):
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(time_limit, 0.1)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = 17
    # The model has no symmetry left to find (a class's lessons are one set of booleans) and little for
    # probing; one presolve pass reaches the search in ~1 s instead of ~5-10 s on the large school, which is
    # time the search uses better (measured: soft score about half at the same time limit).
    solver.parameters.symmetry_level = 0
    solver.parameters.cp_model_probing_level = 0
    solver.parameters.max_presolve_iterations = 1
    if hint:
        for var, value in hint:
            model.m.add_hint(var, value)
    stall = _Stall(max(STALL_MIN, STALL_SHARE * time_limit), say)
    import threading

    done = threading.Event()

    def watch():
        while not done.wait(0.5):
            stall.check()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        status = solver.solve(model.m, stall)
    finally:
        done.set()
        watcher.join()
    return solver, status, (stall.history[0][0] if stall.history else None)


def solve(
    problem: Problem,
    *,
    time_limit: float,
    partial: bool = False,
    progress: Callable[[str], None] | None = None,
    workers: int = 2,
) -> Solution:
    """Place every class's lessons (or as many as can be, `partial`), or say why it cannot be done."""
    started = time.monotonic()
    say = progress or (lambda _message: None)
    deadline = started + time_limit
    reserve = min(3.0, RESERVE_SHARE * time_limit)
    plan = Plan(problem)
    say(_("Building the model: %(count)s classes.") % {"count": len(problem.classes)})
    if plan.rejected and not partial:
        conflicts = []
        for _c, reason in plan.rejected:
            if reason not in conflicts:
                conflicts.append(reason)
        return Solution(
            outcome=Outcome.INFEASIBLE,
            placements=[],
            conflicts=conflicts,
            stats={"status": "REJECTED", "wall_time": round(time.monotonic() - started, 3)},
        )
    if not partial:
        # Counts that already prove it cannot be done are the explanation: no search needed.
        counted = count_conflicts(
            plan,
            plan.events,
            teachers=set(problem.teacher_unavailable) | set(problem.teacher_max_per_day),
            limited=set(problem.teacher_max_per_day),
        )
        if counted:
            return Solution(
                outcome=Outcome.INFEASIBLE,
                placements=[],
                conflicts=counted,
                stats={"status": "COUNTED", "wall_time": round(time.monotonic() - started, 3)},
            )
    reasons: dict[int, dict] = {}
    refusal = None
    if partial:
        found, reasons, refusal = _search_partial(
            plan, deadline=deadline, reserve=reserve, workers=workers, say=say
        )
    else:
        found = _search(plan, partial=False, deadline=deadline, reserve=reserve, workers=workers, say=say)
    model, solver, status, first, starts, rooms = found
    stats = _stats(solver, status, model, started)
    if first is not None:
        stats["first_solution_time"] = round(first - started, 3)
    if status == cp_model.INFEASIBLE:
        say(_("It cannot be done; finding the requirements that clash."))
        conflicts = refusal or explain_infeasible(plan, deadline=max(deadline, time.monotonic() + 10))
        stats["wall_time"] = round(time.monotonic() - started, 3)
        return Solution(outcome=Outcome.INFEASIBLE, placements=[], conflicts=conflicts, stats=stats)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Solution(outcome=Outcome.TIMED_OUT, placements=[], stats=stats)
    placements = _placements(plan, model, solver, starts, rooms)
    unplaced = _unplaced(plan, starts, reasons) if partial else []
    for c, reason in plan.rejected:
        unplaced += [Unplaced(c.requirement_id, 2, _teacher_of(c), reason) for _i in range(c.doubles)]
        unplaced += [Unplaced(c.requirement_id, 1, _teacher_of(c), reason) for _i in range(c.singles)]
    broken = wishes_broken(problem, placements)
    outcome = Outcome.PARTIAL if unplaced else Outcome.COMPLETE
    say(_("Done."))
    return Solution(
        outcome=outcome,
        placements=placements,
        unplaced=unplaced,
        score=sum(b["weight"] for b in broken),
        broken=broken,
        stats=stats,
    )


def _search(plan: Plan, *, partial: bool, deadline: float, reserve: float, workers: int, say, relaxed=None):
    """Solve, then give rooms; when rooms cannot be given, solve again with the room set that ran short as
    a capacity of its own (or, after that, a room boolean per lesson), from the last timetable as a hint."""
    problem = plan.problem
    extra: set[frozenset[int]] = set()
    exact = False
    hint = None
    model = solver = None
    first = None
    rooms: dict | None = None
    starts: dict = {}
    status = cp_model.UNKNOWN
    for _attempt in range(6):
        model = Model(plan, partial=partial, exact_rooms=exact, extra_room_sets=extra, relaxed=relaxed)
        model.objective()
        say(_("Searching for a timetable."))
        solver, status, first = _run(
            model,
            time_limit=deadline - reserve - time.monotonic(),
            workers=workers,
            say=say,
            hint=_hint(model, hint),
        )
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        starts = _starts(model, solver)
        rooms, failed = _rooms_assign(plan, starts, problem)
        if rooms is not None:
            break
        # Rooms could not be given: ask for the union that ran short, or everything exactly.
        hint = starts
        if failed and failed not in extra and len(extra) < 10:
            extra.add(failed)
        else:
            exact = True
        if time.monotonic() > deadline:
            status = cp_model.UNKNOWN
            break
    assert model is not None
    assert solver is not None
    if rooms is None and status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        status = cp_model.UNKNOWN  # every attempt left some lesson without a room
    return model, solver, status, first, starts, rooms


def _teacher_of(c: ClassReq) -> int | None:
    return c.teachers[0] if c.teachers else None


def _hint(model: Model, starts) -> list | None:
    if not starts:
        return None
    chosen = {(kind, e, t) for kind, e, t in starts["starts"]}
    hint = [(v, 1 if ("x", e, t) in chosen else 0) for (e, t), v in model.x.items()]
    hint += [(v, 1 if ("y", e, t) in chosen else 0) for (e, t), v in model.y.items()]
    return hint


def _starts(model: Model, solver) -> dict:
    starts = [("x", e, t) for (e, t), v in model.x.items() if solver.boolean_value(v)]
    starts += [("y", e, t) for (e, t), v in model.y.items() if solver.boolean_value(v)]
    chosen = {req: k for (req, k), v in model.choice.items() if solver.boolean_value(v)}
    rooms = {}
    for (e, si, key, r), v in model.room_vars.items():
        if solver.boolean_value(v):
            rooms[(e, si, key)] = r
    return {"starts": starts, "chosen": chosen, "rooms": rooms}


def _rooms_assign(plan: Plan, starts: dict, problem: Problem):
    """A room for every lesson start and room set, day by day (a double keeps its room). Returns the rooms
    and None, or None and the room set that ran short (None: ask for the exact model)."""
    if starts["rooms"]:
        return {
            (kind, e, t, si): starts["rooms"][(e, si, hash((kind, t)))]
            for kind, e, t in starts["starts"]
            for si in range(len(plan.events[e].room_sets))
        }, None
    locked_room = {}
    for lock in problem.locked:
        event = plan.event_of.get(lock.requirement_id)
        slot = plan.slot_of.get((lock.weekday, lock.period_id))
        if event is not None and slot is not None and lock.room_id is not None:
            locked_room[("x" if lock.length == 1 else "y", event.index, slot)] = lock.room_id
    given: dict = {}
    by_day: dict[int, list] = defaultdict(list)
    for kind, e, t in starts["starts"]:
        by_day[t // plan.P].append((kind, e, t))
    for day_starts in by_day.values():
        rooms = _rooms_for_day(plan, day_starts, locked_room)
        if rooms is None:
            short = frozenset(
                r for (_k, e, _t) in day_starts for s in plan.events[e].room_sets for r in s if len(s) > 1
            )
            return None, short or None
        given.update(rooms)
    return given, None


def _rooms_for_day(plan: Plan, day_starts: list, locked_room: dict) -> dict | None:
    """One day's rooms by a small exact model: a room per lesson and room set, none used twice at once."""
    m = cp_model.CpModel()
    use: dict[tuple[int, int], list] = defaultdict(list)
    options: dict = {}
    for kind, e, t in day_starts:
        length = 1 if kind == "x" else 2
        wanted = locked_room.get((kind, e, t))
        for si, rooms in enumerate(plan.events[e].room_sets):
            allowed = [
                r
                for r in sorted(rooms)
                if all(plan.room_free(r, t + k) for k in range(length)) and wanted in (None, r)
            ] or ([wanted] if wanted is not None else [])
            vars_ = {r: m.new_bool_var("") for r in allowed}
            m.add_exactly_one(vars_.values())
            options[(kind, e, t, si)] = vars_
            for r, v in vars_.items():
                for k in range(length):
                    use[(r, t + k)].append(v)
    for terms in use.values():
        if len(terms) > 1:
            m.add_at_most_one(terms)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 10
    solver.parameters.num_workers = 1
    if solver.solve(m) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return {
        key: next(r for r, v in vars_.items() if solver.boolean_value(v)) for key, vars_ in options.items()
    }


def _placements(plan: Plan, model: Model, solver, starts: dict, rooms: dict) -> list[Placement]:
    placements = []
    for kind, e, t in sorted(starts["starts"], key=lambda s: (s[2], s[1])):
        event = plan.events[e]
        day, period = plan.day_period(t)
        set_index = {rooms_: si for si, rooms_ in enumerate(event.room_sets)}
        for c in event.members:
            room = rooms.get((kind, e, t, set_index[frozenset(c.rooms)])) if c.rooms else None
            teacher = starts["chosen"].get(c.requirement_id)
            if teacher is None and c.candidates and not c.teachers:
                teacher = c.candidates[0]
            placements.append(
                Placement(
                    requirement_id=c.requirement_id,
                    weekday=day,
                    period_id=period,
                    length=1 if kind == "x" else 2,
                    room_id=room,
                    teacher_id=teacher if teacher is not None else _teacher_of(c),
                )
            )
    return placements


def _stats(solver, status, model: Model, started: float) -> dict:
    stats = {
        "status": solver.status_name(status),
        "wall_time": round(time.monotonic() - started, 3),
        "solver_wall_time": round(solver.wall_time, 3),
        "conflicts": solver.num_conflicts,
        "branches": solver.num_branches,
        "variables": len(model.m.proto.variables),
        "constraints": len(model.m.proto.constraints),
    }
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and model.m.has_objective():
        stats["objective"] = int(solver.objective_value)
        stats["best_bound"] = int(solver.best_objective_bound)
    return stats


# --- soft wishes, from the placements -----------------------------------------------------------------


def wishes_broken(problem: Problem, placements: list[Placement]) -> list[dict]:
    """The soft wishes a timetable breaks, with their weights (the solver's objective, counted again)."""
    weights = problem.weights
    classes = {c.requirement_id: c for c in problem.classes}
    position = {period: i for i, period in enumerate(problem.periods)}
    P = len(problem.periods)
    broken: list[dict] = []
    seen: set = set()
    teacher_days: dict[tuple[int, int], set[int]] = defaultdict(set)
    per_day: dict[tuple[object, int], int] = defaultdict(int)
    label: dict[object, ClassReq] = {}
    for p in placements:
        c = classes.get(p.requirement_id)
        if c is None or p.period_id not in position:
            continue
        group = ("joint", c.joint_id) if c.joint_id is not None else ("class", c.requirement_id)
        key = (group, p.weekday, p.period_id, p.length)
        teachers = set(c.teachers) | ({p.teacher_id} if p.teacher_id is not None else set())
        for teacher in teachers:
            for k in range(p.length):
                teacher_days[(teacher, p.weekday)].add(position[p.period_id] + k)
        if key in seen:
            continue
        seen.add(key)
        label.setdefault(group, c)
        per_day[(group, p.weekday)] += 1
        first = position[p.period_id]
        prefer_early = (
            any(
                m.prefer_early for m in problem.classes if m.joint_id is not None and m.joint_id == c.joint_id
            )
            if c.joint_id is not None
            else c.prefer_early
        )
        if weights.get("early") and prefer_early and 2 * (first + p.length - 1) > P - 1:
            broken.append(
                {
                    "wish": "early",
                    "params": {
                        "class": c.label,
                        "class_id": c.requirement_id,
                        "day": p.weekday,
                        "period": problem.name("period", p.period_id),
                    },
                    "weight": weights["early"],
                }
            )
    if weights.get("spread"):
        for (owner, day), count in sorted(per_day.items(), key=lambda item: (str(item[0][0]), item[0][1])):
            if count > 1:
                c = label[owner]
                broken.append(
                    {
                        "wish": "spread",
                        "params": {
                            "class": c.label,
                            "class_id": c.requirement_id,
                            "day": day,
                            "lessons": count,
                        },
                        "weight": weights["spread"] * (count - 1),
                    }
                )
    for (teacher, day), taught in sorted(teacher_days.items()):
        if weights.get("gaps") and taught:
            gaps = max(taught) - min(taught) + 1 - len(taught)
            if gaps:
                broken.append(
                    {
                        "wish": "gaps",
                        "params": {
                            "teacher": problem.name("teacher", teacher),
                            "teacher_id": teacher,
                            "day": day,
                            "gaps": gaps,
                        },
                        "weight": weights["gaps"] * gaps,
                    }
                )
        if weights.get("free_day") and problem.teacher_free_day.get(teacher) == day and taught:
            broken.append(
                {
                    "wish": "free_day",
                    "params": {
                        "teacher": problem.name("teacher", teacher),
                        "teacher_id": teacher,
                        "day": day,
                    },
                    "weight": weights["free_day"],
                }
            )
    return broken


# --- why it cannot be done -----------------------------------------------------------------------------

# Which requirements the deletion tries to drop first: the ones a timetabler reads least easily go first, so
# what is left names classes and teachers.
_DROP_ORDER = {
    "locked": 0,
    "pin": 1,
    "room_unavailable": 2,
    "day_limit": 3,
    "doubles": 4,
    "unavailable": 5,
    "lessons": 6,
}


def explain_infeasible(plan: Plan, *, deadline: float, workers: int = 1) -> list[dict]:
    """The smallest set of requirements that cannot hold together, as conflicts."""
    core = find_core(plan, deadline=deadline)
    return interpret_core(plan, core) if core is not None else [conflict("unexplained")]


def find_core(plan: Plan, *, deadline: float, relaxed: set[int] | None = None) -> list[tuple] | None:
    """A minimal set of requirements (keys of Model.guards) that cannot hold together; None when none was
    found in time. `relaxed` events (partial timetables) may leave lessons out and are not requirements."""
    model = Model(plan, explain=True, partial=relaxed is not None, relaxed=relaxed or set())
    literal_of = {key: lit for lit, key in model.guards}
    key_of = {lit.index: key for lit, key in model.guards}

    def attempt(keys: list[tuple], seconds: float) -> list[tuple] | None | bool:
        """The core among `keys` when infeasible; False when feasible; None when undecided in time."""
        model.m.clear_assumptions()
        model.m.add_assumptions([literal_of[k] for k in keys])
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(seconds, 0.1)
        solver.parameters.num_workers = 1  # assumptions are solved by one worker only
        status = solver.solve(model.m)
        if status == cp_model.INFEASIBLE:
            found = {
                key_of.get(abs(i), key_of.get(i)) for i in solver.sufficient_assumptions_for_infeasibility()
            }
            return [k for k in keys if k in found] or list(keys)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return False
        return None

    everything = [key for _lit, key in model.guards]
    found = attempt(everything, deadline - time.monotonic())
    if not isinstance(found, list):
        return None
    core = sorted(found, key=lambda k: _DROP_ORDER.get(k[0], 9))
    i = 0
    while i < len(core) and time.monotonic() < deadline:
        trial = core[:i] + core[i + 1 :]
        result = attempt(trial, min(SHRINK_SOLVE_SECONDS, deadline - time.monotonic()))
        if isinstance(result, list):  # still impossible without core[i]: keep the smaller set
            kept = set(result)
            core = [k for k in core if k in kept]
        else:
            i += 1
    return core


def interpret_core(plan: Plan, core: list[tuple]) -> list[dict]:
    """Put a set of requirements that cannot hold together into conflicts: the counts that show why where
    there are such (a teacher's lessons against their free periods, a section's, a kind of room's), and
    otherwise the requirements themselves."""
    events = [plan.events[k[1]] for k in core if k[0] == "lessons"]
    unavailable = {k[1] for k in core if k[0] == "unavailable"}
    limited = {k[1] for k in core if k[0] == "day_limit"}
    conflicts = count_conflicts(plan, events, teachers=unavailable | limited, limited=limited)
    conflicts += _fixed_conflicts(plan, core)
    if conflicts:
        return conflicts
    return [conflict("requirements_clash", items=[_item(plan, k) for k in core])]


def count_conflicts(plan: Plan, events: list[Event], *, teachers: set[int], limited: set[int]) -> list[dict]:
    """Counts that prove a timetable cannot exist, around `events` (and `teachers`): a teacher's lessons
    against their free periods (within their daily maximum when `limited`), a group of teachers sharing
    classes (candidates) against what they can teach together, a section's against the week,
    the lessons needing a set of rooms against its free places when they can be taught."""
    return [c for c, _events in _counted(plan, events, teachers=teachers, limited=limited)]


def _week_capacity(plan: Plan, teacher: int, most: int | None) -> int:
    """The most periods `teacher` can teach in the week: their free periods, within `most` a day (None: no
    daily maximum)."""
    free = plan.teacher_free(teacher)
    if most is None:
        return len(free)
    return sum(min(most, sum(1 for t in free if t // plan.P == d)) for d in range(len(plan.days)))


def _groups_counted(plan: Plan, events: list[Event], *, limited: set[int]) -> list[tuple[dict, set[int]]]:
    """Teachers tied together by classes that may go to one or another of them (candidates): every lesson
    their classes need against what they can teach together. Each of them may have room for their own
    classes while the group, whichever way the classes are shared out, has not; the search would have to
    try every way to find that out."""
    problem = plan.problem
    group_of: dict[int, int] = {}

    def root(teacher: int) -> int:
        while group_of.setdefault(teacher, teacher) != teacher:
            teacher = group_of[teacher]
        return teacher

    for e in plan.events:
        for c in e.choosers:
            first, *rest = c.candidates
            for other in rest:
                group_of[root(other)] = root(first)
    groups: dict[int, set[int]] = defaultdict(set)
    for teacher in list(group_of):
        groups[root(teacher)].add(teacher)
    asked = {t for e in events for t in e.teachers} | {
        k for e in events for c in e.choosers for k in c.candidates
    }
    found: list[tuple[dict, set[int]]] = []
    for group in sorted((g for g in groups.values() if len(g) > 1 and g & asked), key=min):
        counted, load = set(), 0
        for e in plan.events:
            # A lesson takes a period of each of its fixed teachers, and of the one chosen for each class.
            takes = len(group & set(e.teachers)) + sum(1 for c in e.choosers if set(c.candidates) <= group)
            if takes:
                load += takes * e.periods
                counted.add(e.index)
        most = problem.teacher_max_per_day
        available = sum(
            _week_capacity(plan, teacher, most.get(teacher) if teacher in limited else None)
            for teacher in group
        )
        if load > available:
            names = [problem.name("teacher", teacher) for teacher in sorted(group)]
            found.append(
                (
                    conflict(
                        "teachers_overloaded",
                        teachers=names,
                        teacher_ids=sorted(group),
                        lessons=load,
                        available=available,
                    ),
                    counted,
                )
            )
    return found


def _counted(
    plan: Plan, events: list[Event], *, teachers: set[int], limited: set[int]
) -> list[tuple[dict, set[int]]]:
    """count_conflicts, each with the events whose lessons it counts."""
    problem = plan.problem
    conflicts: list[tuple[dict, set[int]]] = []
    for teacher in sorted({t for e in events for t in e.teachers} | teachers):
        load = sum(e.periods for e in plan.events if teacher in e.teachers)
        free = plan.teacher_free(teacher)
        name = problem.name("teacher", teacher)
        most = problem.teacher_max_per_day.get(teacher)
        if teacher in limited and most is not None:
            cap = _week_capacity(plan, teacher, most)
            if load > cap:
                found = conflict(
                    "teacher_day_limit",
                    teacher=name,
                    teacher_id=teacher,
                    lessons=load,
                    max=most,
                    available=cap,
                )
                conflicts.append((found, {e.index for e in plan.events if teacher in e.teachers}))
                continue
        if load > len(free):
            found = conflict(
                "teacher_overloaded", teacher=name, teacher_id=teacher, lessons=load, available=len(free)
            )
            conflicts.append((found, {e.index for e in plan.events if teacher in e.teachers}))
    conflicts += _groups_counted(plan, events, limited=limited)
    for section in sorted({s for e in events for s in e.sections}):
        load = sum(e.periods for e in plan.events if section in e.sections)
        if load > plan.T:
            found = conflict(
                "section_overloaded",
                section=problem.name("section", section),
                section_id=section,
                lessons=load,
                available=plan.T,
            )
            conflicts.append((found, {e.index for e in plan.events if section in e.sections}))
    for rooms in sorted({s for e in events for s in e.room_sets}, key=sorted):
        inside = [e for e in plan.events if any(s <= rooms for s in e.room_sets)]
        load = sum(e.periods for e in inside)
        window: set[int] = set()
        for e in inside:
            free = set(range(plan.T))
            for teacher in e.teachers:
                free &= plan.teacher_free(teacher)
            window |= free
        cap = sum(sum(1 for r in rooms if plan.room_free(r, t)) for t in window)
        if load > cap:
            kinds = {c.room_type_id for e in inside for c in e.members if frozenset(c.rooms) <= rooms}
            kind = next(iter(kinds)) if len(kinds) == 1 else None
            days = sorted({plan.days[t // plan.P] for t in window})
            conflicts.append(
                (
                    conflict(
                        "room_type_short",
                        room_type=problem.name("room_type", kind)
                        if kind
                        else ", ".join(problem.name("room", r) for r in sorted(rooms)),
                        room_type_id=kind,
                        lessons=load,
                        rooms=len(rooms),
                        periods=len(window),
                        available=cap,
                        days=days if len(days) < len(plan.days) else [],
                    ),
                    {e.index for e in inside},
                )
            )
    return conflicts


def _fixed_conflicts(plan: Plan, core: list[tuple]) -> list[dict]:
    """Double periods that cannot be placed, and lessons fixed to one slot that clash."""
    conflicts = []
    for k in core:
        if k[0] == "doubles":
            e = plan.events[k[1]]
            conflicts.append(conflict("double_impossible", **_event_params(e), doubles=e.doubles))
    pins = [_fixed(plan, k) for k in core if k[0] in ("pin", "locked")]
    if len(pins) > 1 and len({(p["day"], p["period_id"]) for p in pins}) == 1:
        conflicts.append(
            conflict(
                "pin_clash",
                classes=sorted(p["class"] for p in pins),
                day=pins[0]["day"],
                period=pins[0]["period"],
                period_id=pins[0]["period_id"],
            )
        )
    return conflicts


def _event_params(e: Event) -> dict:
    return {"class": e.label, "class_id": e.members[0].requirement_id}


def _fixed(plan: Plan, key: tuple) -> dict:
    problem = plan.problem
    if key[0] == "pin":
        c = next(c for c in problem.classes if c.requirement_id == key[1])
        day, period, double = c.pins[key[2]]
        return {
            "class": c.label,
            "class_id": c.requirement_id,
            "day": day,
            "period": problem.name("period", period),
            "period_id": period,
            "double": double,
        }
    lock = problem.locked[key[1]]
    c = next(c for c in problem.classes if c.requirement_id == lock.requirement_id)
    return {
        "class": c.label,
        "class_id": c.requirement_id,
        "day": lock.weekday,
        "period": problem.name("period", lock.period_id),
        "period_id": lock.period_id,
        "double": lock.length == 2,
    }


def _item(plan: Plan, key: tuple) -> dict:
    """One requirement of a clash, as data explain.py puts into words."""
    problem = plan.problem
    kind = key[0]
    if kind == "lessons":
        e = plan.events[key[1]]
        return {"kind": "lessons", **_event_params(e), "lessons": e.singles + e.doubles, "doubles": e.doubles}
    if kind == "doubles":
        e = plan.events[key[1]]
        return {"kind": "doubles", **_event_params(e), "doubles": e.doubles}
    if kind == "unavailable":
        teacher = key[1]
        return {
            "kind": "unavailable",
            "teacher": problem.name("teacher", teacher),
            "teacher_id": teacher,
            "periods": len(problem.teacher_unavailable.get(teacher, ())),
        }
    if kind == "room_unavailable":
        room = key[1]
        return {
            "kind": "room_unavailable",
            "room": problem.name("room", room),
            "room_id": room,
            "periods": len(problem.room_unavailable.get(room, ())),
        }
    if kind == "day_limit":
        teacher = key[1]
        return {
            "kind": "day_limit",
            "teacher": problem.name("teacher", teacher),
            "teacher_id": teacher,
            "max": problem.teacher_max_per_day.get(teacher),
        }
    return {"kind": kind, **_fixed(plan, key)}


# --- partial timetables: why a lesson was left out -------------------------------------------------------


def _search_partial(plan: Plan, *, deadline: float, reserve: float, workers: int, say):
    """The best partial timetable: lessons may be left out only where the requirements cannot all hold.

    The classes the counts show cannot all be placed whole may leave lessons out from the first search;
    every other class is placed whole, and when that cannot be, the classes the minimal set of clashing
    requirements names may leave lessons out too, and the search runs again, until a timetable is found.
    Returns the search's result, the reason for each class allowed to leave lessons out, and the conflicts
    when even that cannot be done (clashing fixed lessons)."""
    reasons: dict[int, dict] = {}
    teachers = set(plan.problem.teacher_unavailable) | set(plan.problem.teacher_max_per_day)
    limited = set(plan.problem.teacher_max_per_day)
    # What the counts already prove cannot be placed whole may leave lessons out from the first search:
    # searching first for a timetable they rule out can take the whole time limit to prove it impossible.
    for counted, events in _counted(plan, plan.events, teachers=teachers, limited=limited):
        for e in events:
            reasons.setdefault(e, counted)
    relaxed: set[int] = set(reasons)
    while True:
        found = _search(
            plan, partial=True, deadline=deadline, reserve=reserve, workers=workers, say=say, relaxed=relaxed
        )
        if found[2] != cp_model.INFEASIBLE or len(relaxed) == len(plan.events):
            return found, reasons, None
        # The counts do not depend on what is relaxed: those that are over were taken before the first search,
        # so the minimal set of clashing requirements says what else must give.
        core = find_core(plan, deadline=max(deadline, time.monotonic() + 10), relaxed=relaxed)
        if core is None:
            return found, reasons, [conflict("unexplained")]
        words = interpret_core(plan, core)
        fresh: dict[int, dict] = {}
        for key in core:
            if key[0] in ("lessons", "doubles") and key[1] not in relaxed:
                fresh.setdefault(key[1], words[0])
        if not fresh:  # fixed lessons that clash: leaving lessons out cannot help
            return found, reasons, words
        relaxed |= set(fresh)
        reasons.update(fresh)


def _unplaced(plan: Plan, starts: dict, reasons: dict[int, dict]) -> list[Unplaced]:
    placed: dict[tuple[int, str], int] = defaultdict(int)
    for kind, e, _t in starts["starts"]:
        placed[(e, kind)] += 1
    out: list[Unplaced] = []
    for e in plan.events:
        missing_doubles = e.doubles - placed[(e.index, "y")]
        missing_singles = e.singles - placed[(e.index, "x")]
        if missing_doubles <= 0 and missing_singles <= 0:
            continue
        reason = reasons.get(e.index) or _reason(plan, e, only_doubles=missing_singles <= 0)
        for c in e.members:
            teacher = starts["chosen"].get(c.requirement_id, _teacher_of(c))
            out += [Unplaced(c.requirement_id, 2, teacher, reason) for _i in range(max(0, missing_doubles))]
            out += [Unplaced(c.requirement_id, 1, teacher, reason) for _i in range(max(0, missing_singles))]
    return out


def _reason(plan: Plan, e: Event, *, only_doubles: bool) -> dict:
    """Why some of an event's lessons found no place: the first count around it that is over."""
    problem = plan.problem
    for teacher in e.teachers:
        load = sum(ev.periods for ev in plan.events if teacher in ev.teachers)
        free = plan.teacher_free(teacher)
        most = problem.teacher_max_per_day.get(teacher)
        name = problem.name("teacher", teacher)
        if load > len(free):
            return conflict(
                "teacher_overloaded", teacher=name, teacher_id=teacher, lessons=load, available=len(free)
            )
        if most is not None:
            cap = _week_capacity(plan, teacher, most)
            if load > cap:
                return conflict(
                    "teacher_day_limit",
                    teacher=name,
                    teacher_id=teacher,
                    lessons=load,
                    max=most,
                    available=cap,
                )
    for section in e.sections:
        load = sum(ev.periods for ev in plan.events if section in ev.sections)
        if load > plan.T:
            return conflict(
                "section_overloaded",
                section=problem.name("section", section),
                section_id=section,
                lessons=load,
                available=plan.T,
            )
    for rooms in e.room_sets:
        inside = [ev for ev in plan.events if any(s <= rooms for s in ev.room_sets)]
        load = sum(ev.periods for ev in inside)
        cap = sum(sum(1 for r in rooms if plan.room_free(r, t)) for t in range(plan.T))
        if load > cap:
            kinds = {c.room_type_id for c in e.members if frozenset(c.rooms) == rooms}
            kind = next(iter(kinds)) if len(kinds) == 1 else None
            return conflict(
                "room_type_short",
                room_type=problem.name("room_type", kind)
                if kind
                else ", ".join(problem.name("room", r) for r in sorted(rooms)),
                room_type_id=kind,
                lessons=load,
                rooms=len(rooms),
                periods=plan.T,
                available=cap,
                days=[],
            )
    if only_doubles:
        return conflict("double_impossible", **_event_params(e), doubles=e.doubles)
    return conflict("no_slot", **_event_params(e))
