"""A goal's token budget, held before every model call of its runs.

The budget is the goal's ``tokenBudget`` on the chain (set by the goal proposal, raised by a
budget proposal); what counts against it is every model call of the goal's runs in the
store. A call that could overrun it is not sent: the agent raises ``BudgetExhausted``, the
Runner records the run as paused on its budget (not failed), and ``run resume`` (or the
service) continues from the same node once a proposal raised the budget.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from atelier.agents.calls import BudgetExhausted

if TYPE_CHECKING:
    from atelier.store.database import Store
    from atelier.workflows.context import StudioServices


class GoalBudget:
    def __init__(self, studio: StudioServices, store: Store, goal_id: int) -> None:
        self.studio, self.store, self.goal_id = studio, store, goal_id
        self._budget: int | None = None  # read from the chain when it is needed
        self._lock = threading.Lock()

    def budget(self, *, fresh: bool = False) -> int:
        with self._lock:
            if self._budget is None or fresh:
                with self.studio.session() as dao:
                    self._budget = dao.goal(self.goal_id).token_budget
            return self._budget

    def left(self) -> int:
        return self.budget(fresh=True) - self.store.tokens_by_goal(self.goal_id)

    def allow(self, agent: str, estimated_tokens: int) -> None:
        """Raise ``BudgetExhausted`` if a call of up to ``estimated_tokens`` could overrun
        the budget. The chain is read again only then (a proposal may have raised it)."""
        spent = self.store.tokens_by_goal(self.goal_id)
        budget = self.budget()
        if spent + estimated_tokens > budget:
            budget = self.budget(fresh=True)
            if spent + estimated_tokens > budget:
                raise BudgetExhausted(goal_id=self.goal_id, budget=budget, spent=spent,
                                      needed=estimated_tokens, agent=agent)
