#!/usr/bin/env python3
"""Regenerate the master data embedded in irp-core (crates/irp-core/data/).

Usage: python3 scripts/gen-masters.py [--shared ../shared]

The product never reads the shared specification directory at run time: this script copies or
derives, once, everything the core needs, and its output is committed. See
crates/irp-core/data/README.md for what each file is and where it comes from.

Standard library only, except `pycountry` (installed with pip if it is not importable), which is
used solely to produce the ISO 3166-1 alpha-2 country list and the ISO 4217 currency list.
"""

import argparse
import csv
import math
import re
import shutil
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "crates" / "irp-core" / "data"

# Spec CSVs copied byte for byte (08 "Master data").
VERBATIM = [
    "states.csv",
    "uqc.csv",
    "gst-rates.csv",
    "pin-prefix.csv",
    "error-codes.csv",
    "cancel-reasons.csv",
    "supply-types.csv",
    "doc-types.csv",
    "transport-modes.csv",
    "vehicle-types.csv",
]

# 08 §4.2: directory `statename` -> GST state code. `NA` and blank give no state.
STATE_NAMES = {
    "JAMMU AND KASHMIR": "01",
    "HIMACHAL PRADESH": "02",
    "PUNJAB": "03",
    "CHANDIGARH": "04",
    "UTTARAKHAND": "05",
    "HARYANA": "06",
    "DELHI": "07",
    "RAJASTHAN": "08",
    "UTTAR PRADESH": "09",
    "BIHAR": "10",
    "SIKKIM": "11",
    "ARUNACHAL PRADESH": "12",
    "NAGALAND": "13",
    "MANIPUR": "14",
    "MIZORAM": "15",
    "TRIPURA": "16",
    "MEGHALAYA": "17",
    "ASSAM": "18",
    "WEST BENGAL": "19",
    "JHARKHAND": "20",
    "ODISHA": "21",
    "CHHATTISGARH": "22",
    "MADHYA PRADESH": "23",
    "GUJARAT": "24",
    "THE DADRA AND NAGAR HAVELI AND DAMAN AND DIU": "26",
    "MAHARASHTRA": "27",
    "KARNATAKA": "29",
    "GOA": "30",
    "LAKSHADWEEP": "31",
    "KERALA": "32",
    "TAMIL NADU": "33",
    "PUDUCHERRY": "34",
    "ANDAMAN AND NICOBAR ISLANDS": "35",
    "TELANGANA": "36",
    "ANDHRA PRADESH": "37",
    "LADAKH": "38",
}
NO_STATE = {"", "NA"}

# India's bounding box (data README, D-43).
LAT_MIN, LAT_MAX = 6.0, 37.5
LON_MIN, LON_MAX = 68.0, 97.5

# Outlier rule (documented in data/README.md): offices farther than this from the reference
# point of their PIN are dropped before the final median.
OUTLIER_KM = 50.0
EARTH_RADIUS_KM = 6371.0088  # mean Earth radius, as in masters::great_circle_km

HSN_CODE = re.compile(r"[0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{8}")
PIN_CODE = re.compile(r"[1-9][0-9]{5}")


def warn(msg):
    print(f"warning: {msg}", file=sys.stderr)


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write_lines(path, lines):
    with open(path, "w", newline="\n", encoding="utf-8") as f:
        for line in lines:
            f.write(line + "\n")


# ---------------------------------------------------------------------------------------------
# HSN / SAC


def gen_hsn(shared):
    codes = []
    seen = set()
    ignored = []
    for row in read_csv(shared / "data" / "hsn-sac.csv"):
        code = row["code"]
        if not HSN_CODE.fullmatch(code):
            ignored.append(code)
            continue
        if code in seen:
            warn(f"hsn-sac.csv: duplicate code {code}")
            continue
        seen.add(code)
        codes.append(code)
    # 08 §7: the published file has seven malformed rows; they are ignored.
    print(f"hsn.txt: {len(codes)} codes, ignored {len(ignored)} malformed: {ignored}")
    write_lines(OUT / "hsn.txt", codes)


# ---------------------------------------------------------------------------------------------
# PIN directory


def in_box(lat, lon):
    return LAT_MIN <= lat <= LAT_MAX and LON_MIN <= lon <= LON_MAX


def parse_coord(text):
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def haversine_km(a, b):
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def median_point(points):
    return (
        statistics.median(p[0] for p in points),
        statistics.median(p[1] for p in points),
    )


def near(points, ref):
    return [p for p in points if haversine_km(p, ref) <= OUTLIER_KM]


def centroid(points, prefix_ref):
    """Centroid of one PIN's usable office coordinates (rule in data/README.md)."""
    m0 = median_point(points)
    kept = near(points, m0)
    if 2 * len(kept) >= len(points):
        return median_point(kept)
    # No majority around the first median: the offices form several distant groups (typically
    # two offices hundreds of km apart). Anchor on the office with the most neighbours within
    # OUTLIER_KM, ties broken by closeness to the prefix reference, and keep its group.
    def score(p):
        return (-len(near(points, p)), haversine_km(p, prefix_ref), p)

    anchor = min(points, key=score)
    return median_point(near(points, anchor))


def gen_pins(shared):
    states = defaultdict(set)
    points = defaultdict(list)
    unknown = defaultdict(int)
    swapped = 0
    for row in read_csv(shared / "data" / "pincodes.csv"):
        pin = row["pincode"].strip()
        if not PIN_CODE.fullmatch(pin):
            warn(f"pincodes.csv: skipped malformed PIN {pin!r}")
            continue
        name = row["statename"].strip().upper()
        states[pin]  # every directory PIN gets a row, even without state
        if name in STATE_NAMES:
            states[pin].add(STATE_NAMES[name])
        elif name not in NO_STATE:
            unknown[name] += 1
        lat, lon = parse_coord(row["latitude"]), parse_coord(row["longitude"])
        if lat is None or lon is None:
            continue
        if in_box(lat, lon):
            points[pin].append((lat, lon))
        elif in_box(lon, lat):
            points[pin].append((lon, lat))
            swapped += 1
    for name, n in sorted(unknown.items()):
        warn(f"pincodes.csv: unknown statename {name!r} ({n} rows), treated as NA")

    # Prefix reference for the tie-break: per-coordinate median of the plain PIN medians.
    by_prefix = defaultdict(list)
    for pin, pts in points.items():
        by_prefix[pin[:3]].append(median_point(pts))
    prefix_ref = {p: median_point(ms) for p, ms in by_prefix.items()}

    centroids = {pin: centroid(pts, prefix_ref[pin[:3]]) for pin, pts in points.items()}

    lines = ["pin,states,lat,lon"]
    for pin in sorted(states):
        st = " ".join(sorted(states[pin]))
        c = centroids.get(pin)
        ll = f"{c[0]:.4f},{c[1]:.4f}" if c else ","
        lines.append(f"{pin},{st},{ll}")
    write_lines(OUT / "pins.csv", lines)

    prefix_centroids = defaultdict(list)
    for pin, c in centroids.items():
        prefix_centroids[pin[:3]].append(c)
    plines = ["prefix,lat,lon"]
    for prefix in sorted(prefix_centroids):
        c = median_point(prefix_centroids[prefix])
        plines.append(f"{prefix},{c[0]:.4f},{c[1]:.4f}")
    write_lines(OUT / "pin-prefix-centroids.csv", plines)

    multi = sum(1 for s in states.values() if len(s) > 1)
    stateless = sum(1 for s in states.values() if not s)
    print(
        f"pins.csv: {len(states)} PINs, {len(centroids)} with a centroid, {multi} with several "
        f"states, {stateless} without a state; {swapped} swapped coordinates undone"
    )
    print(f"pin-prefix-centroids.csv: {len(prefix_centroids)} prefixes")


# ---------------------------------------------------------------------------------------------
# ISO lists


def import_pycountry():
    try:
        import pycountry  # noqa: F401
    except ImportError:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "pycountry"])
    import pycountry

    return pycountry


def gen_iso():
    pycountry = import_pycountry()
    countries = sorted({c.alpha_2 for c in pycountry.countries})
    currencies = sorted({c.alpha_3 for c in pycountry.currencies})
    for code in countries:
        assert re.fullmatch(r"[A-Z]{2}", code), code
    for code in currencies:
        assert re.fullmatch(r"[A-Z]{3}", code), code
    write_lines(OUT / "countries.txt", countries)
    write_lines(OUT / "currencies.txt", currencies)
    version = getattr(pycountry, "__version__", "unknown")
    print(f"countries.txt: {len(countries)}, currencies.txt: {len(currencies)} (pycountry {version})")


def rust_str(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def gen_codes():
    """crates/irp-core/src/codes.rs: one `Code` per row of error-codes.csv, so that a code the
    product uses is checked by the compiler to exist and always has its message."""
    rows = read_csv(OUT / "error-codes.csv")
    lines = [
        "//! Every error code of the catalogue (`error-codes.csv`, `08`), as a type. Generated by",
        "//! `scripts/gen-masters.py` from the embedded copy of the catalogue: do not edit; a test",
        "//! checks that it matches the CSV row for row.",
        "",
        "/// A code of the error catalogue. Every value names a row, so every code has its message.",
        "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]",
        "pub enum Code {",
    ]
    for row in rows:
        lines.append(f"    /// {row['message'].strip()} ({row['category']})")
        lines.append(f"    E{row['code']},")
    lines.append("}")
    lines.append("")
    lines.append("impl Code {")
    lines.append("    /// Every code, in the catalogue's order.")
    lines.append(f"    pub const ALL: [Code; {len(rows)}] = [")
    for row in rows:
        lines.append(f"        Code::E{row['code']},")
    lines.append("    ];")
    lines.append("")
    for name, column, doc in [
        ("as_str", "code", "The code as it is sent (`ErrorCode`)."),
        ("message", "message", "The catalogue's message; `{0}`, `{1}`… are filled by the caller."),
        ("category", "category", "The catalogue's category: `invoice`, `auth`, `ewb`, `ewb-api`, `vital` or `system`."),
    ]:
        lines.append(f"    /// {doc}")
        lines.append(f"    pub const fn {name}(self) -> &'static str {{")
        lines.append("        match self {")
        for row in rows:
            lines.append(f"            Code::E{row['code']} => {rust_str(row[column])},")
        lines.append("        }")
        lines.append("    }")
        lines.append("")
    lines[-1] = "}"
    path = REPO / "crates" / "irp-core" / "src" / "codes.rs"
    path.write_text("\n".join(lines) + "\n")
    subprocess.run(["rustfmt", "--edition", "2024", str(path)], check=False)
    print(f"codes.rs: {len(rows)} codes")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = ap.parse_args()
    shared = args.shared.resolve()
    OUT.mkdir(parents=True, exist_ok=True)
    for name in VERBATIM:
        shutil.copyfile(shared / "spec" / name, OUT / name)
    print(f"copied {len(VERBATIM)} spec CSVs")
    gen_hsn(shared)
    gen_pins(shared)
    gen_iso()
    gen_codes()


if __name__ == "__main__":
    main()
