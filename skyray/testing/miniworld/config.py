"""The miniature world's teacher settings (``serve.miniworld`` / ``pipeline.miniworld``)."""

from __future__ import annotations

from dataclasses import dataclass

from skyray.config import require


@dataclass(kw_only=True)
class MiniWorldTeacherConfig:
    # shares of solution replies that go wrong, each so a filter has something to catch:
    wrong_share: float = 0.05  # an arithmetic slip in the last step (answer checks)
    truncated_share: float = 0.03  # cut mid-solution, finish_reason "length"
    chatty_share: float = 0.03  # chatty prose without the "The answer is" line
    flawed_share: float = 0.25  # Xwin-generated problems that are ill posed (verify + correct)
    leak_share: float = 0.03  # new problems that are held-out test items (planted leaks)
    seed: int = 0  # the world's splits (the test split leaks come from)

    def __post_init__(self) -> None:
        for name in (
            "wrong_share",
            "truncated_share",
            "chatty_share",
            "flawed_share",
            "leak_share",
        ):
            require(0 <= getattr(self, name) <= 1, f"miniworld.{name} must be in [0, 1]")
        require(
            self.wrong_share + self.truncated_share + self.chatty_share <= 1,
            "miniworld: wrong + truncated + chatty shares must not exceed 1",
        )
