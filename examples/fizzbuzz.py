def fizzbuzz(n):
    """Return the FizzBuzz word for n."""
    if n % 15 == 0:
        return "FizzBuzz"
    if n % 3 == 0:
        <|hole|>
    if n % 5 == 0:
        return "Buzz"
    return str(n)


def main():
    for i in range(1, 16):
        print(<|hole:8|>)


if __name__ == "__main__":
    <|hole|>
