import { describe, expect, it } from "vitest";
import { formatNumber } from "./format";

describe("formatNumber", () => {
  it("keeps separators, trims decimals by size and never shows -0", () => {
    expect(formatNumber(10240)).toBe("10,240");
    expect(formatNumber(0.25391)).toBe("0.254");
    expect(formatNumber(116.62)).toBe("116.6");
    expect(formatNumber(-0.0004)).toBe("0");
    expect(formatNumber(-0.013)).toBe("-0.013");
  });
});
