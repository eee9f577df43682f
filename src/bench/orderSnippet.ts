/** The benches' request: a Python file with one hole, small enough that the forward is not the whole figure. */
export const ORDER_SNIPPET = `import json
from dataclasses import dataclass


@dataclass
class Order:
    id: int
    items: list
    paid: bool = False


def total(order: Order) -> float:
    <|hole|>


def load(path: str) -> list:
    with open(path) as f:
        return [Order(**o) for o in json.load(f)]
`;
