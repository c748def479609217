"""Letting wheels (periods that do not overlap, slots numbered once each, letting types of the
wheel's enumeration), slot exceptions, and goals."""

from __future__ import annotations

from almen.dsl import nodes as n
from almen.dsl import types as t
from almen.dsl.check.context import Context
from almen.dsl.check.values import require_citation
from almen.dsl.diagnostics import did_you_mean
from almen.dsl.i18n import _

# A letting wheel lets nine vacancies in turn ("udlejningshjul á 9 boliger", the agreements'
# Figur 5 and Bilag 4): a period without all nine leaves some vacancies with no letting type.
WHEEL_SIZE = 9


class Wheels:
    def __init__(self, cx: Context):
        self.cx = cx

    def check(self, wheel: n.Wheel) -> t.Type:
        cx = self.cx
        require_citation(cx, wheel, wheel.meta)
        enum = cx.model.enums.get(wheel.letting_type)
        if enum is None:
            cx.error(
                wheel.span,
                _("unknown letting type '{0}'").format(wheel.letting_type),
                did_you_mean(wheel.letting_type, cx.model.enums) or "declare it with: valg Navn { … }",
            )
            return t.UNKNOWN
        labels: dict[str, n.Period] = {}
        for period in sorted(wheel.periods, key=lambda p: p.start):
            if period.label in labels:
                cx.error(
                    period.span, _("period '{0}' is declared twice in wheel '{1}'").format(period.label, wheel.name)
                )
            if period.end < period.start:
                cx.error(period.span, _("period '{0}' ends before it starts").format(period.label))
            for other in labels.values():
                if period.start <= other.end and other.start <= period.end:
                    cx.error(
                        period.span,
                        _("periods '{0}' and '{1}' of wheel '{2}' overlap").format(
                            other.label, period.label, wheel.name
                        ),
                        None,
                        [(other.span, _("the other period"))],
                    )
            labels[period.label] = period
            self.numbering(wheel, period)
            for slot in period.slots:
                self.slot_value(slot.value, enum)
        return t.WheelType(enum)

    def numbering(self, wheel: n.Wheel, period: n.Period) -> None:
        """Every period has the wheel's nine slots, numbered 1 to 9, once each."""
        numbers = [s.number for s in period.slots]
        where = _("period '{0}' of wheel '{1}'").format(period.label, wheel.name)
        if numbers and sorted(numbers) == list(range(1, len(numbers) + 1)):
            if len(numbers) < WHEEL_SIZE:
                missing = (len(numbers) + 1, WHEEL_SIZE)
                label = (
                    _("slot {0}").format(missing[0])
                    if missing[0] == missing[1]
                    else _("slots {0} to {1}").format(missing[0], missing[1])
                )
                self.cx.error(
                    period.span,
                    _("{0} lacks {1}").format(where, label),
                    _("a letting wheel has {0} slots, numbered 1 to {0}; add: {1}: <type>").format(
                        WHEEL_SIZE, missing[0]
                    ),
                )
            elif len(numbers) > WHEEL_SIZE:
                extra = next(s for s in period.slots if s.number == WHEEL_SIZE + 1)
                self.cx.error(
                    extra.span,
                    _("{0} has {1} slots; a letting wheel has {2}").format(where, len(numbers), WHEEL_SIZE),
                    _("remove the slots after {0}").format(WHEEL_SIZE),
                )
            return
        absent = [str(k) for k in range(1, WHEEL_SIZE + 1) if k not in numbers]
        self.cx.error(
            period.span,
            _("the slots of {0} must be numbered 1 to {1}, once each").format(where, WHEEL_SIZE),
            _("found {0}").format(", ".join(map(str, numbers)))
            + ("; " + _("missing {0}").format(", ".join(absent)) if absent else ""),
        )

    def slot_value(self, value: n.SlotValue, enum: t.Enum) -> None:
        for letting in value.find_all(n.Letting):
            if letting.member not in enum.members:
                self.cx.error(
                    letting.span,
                    _("'{0}' is not a letting type of {1}").format(letting.member, enum.name),
                    did_you_mean(letting.member, enum.members)
                    or _("the types are: {0}").format(", ".join(enum.members)),
                )
            if letting.payload is not None:
                self.cx.typer.expr(letting.payload, {})
        for choice in value.find_all(n.LettingIf):
            self.cx.typer.expect(choice.cond, t.BOOL, {}, "a condition")

    def slot_exception(self, exc: n.SlotException) -> None:
        cx = self.cx
        require_citation(cx, exc, exc.meta)
        wheel = cx.model.wheels.get(exc.wheel)
        if wheel is None:
            cx.error(exc.span, _("unknown wheel '{0}'").format(exc.wheel), did_you_mean(exc.wheel, cx.model.wheels))
            return
        periods = [p for p in wheel.periods if exc.period is None or p.label == exc.period]
        if not periods:
            cx.error(
                exc.span,
                _("wheel '{0}' has no period '{1}'").format(wheel.name, exc.period),
                did_you_mean(exc.period or "", [p.label for p in wheel.periods]),
            )
        for period in periods:
            if exc.slot not in [s.number for s in period.slots]:
                cx.error(exc.span, _("wheel '{0}' has no slot {1} in '{2}'").format(wheel.name, exc.slot, period.label))
        saved, cx.owner = cx.owner, exc.wheel
        cx.typer.expect(exc.condition, t.BOOL, {}, "a condition")
        enum = cx.model.enums.get(wheel.letting_type)
        if enum is not None:
            self.slot_value(exc.value, enum)
        cx.owner = saved

    def goal(self, goal: n.Goal) -> None:
        cx = self.cx
        require_citation(cx, goal, goal.meta)
        cx.owner = goal.name
        if goal.measure is None:
            cx.error(goal.span, _("goal '{0}' measures nothing").format(goal.name), _("add: måling <udtryk>"))
            return
        typ = cx.typer.expr(goal.measure, {})
        if not isinstance(t.strip(typ), t.Num | t.Unknown):
            cx.error(goal.measure.span, _("a key figure must be a number, this is a {0}").format(typ))
        if not goal.direction:
            cx.error(
                goal.span,
                _("goal '{0}' has no direction").format(goal.name),
                _("add: retning skal falde | skal stige | må ikke stige | må ikke falde | skal nå … | følges"),
            )
        if goal.direction == n.Direction.NÅ and goal.target is None:
            cx.error(goal.span, _("'retning skal nå' needs a target value"), _("write: retning skal nå 25 %"))
        for other in (goal.target, goal.baseline.value if goal.baseline else None):
            if other is not None:
                otyp = cx.typer.expr(other, {})
                if not t.comparable(typ, otyp):
                    cx.error(other.span, _("a {0} cannot be compared with the key figure, a {1}").format(otyp, typ))
