"""End of life and recycled content: the Circular Footprint Formula and the cut-off approach.

Numbers in, numbers out (kg CO2e per unit of material). The accounting rule says which method
applies and gives the parameters (config/rules, `[end_of_life]`, each with its source); the
platform turns the results into graph amounts and end-of-life emissions.

**Circular Footprint Formula** (Commission Recommendation (EU) 2021/2279, Annex I, section
4.4.8.1, the PEF method; applied to EV batteries by the JRC CFB-EV rules, 2023), per unit of
material:

    material   (1 − R1) Ev + R1 (A Erec + (1 − A) Ev Qsin/Qp)
               + (1 − A) R2 (ErecEoL − E*v Qsout/Qp)
    energy     (1 − B) R3 (EER − LHV XER,heat ESE,heat − LHV XER,elec ESE,elec)
    disposal   (1 − R2 − R3) ED

R1: recycled content of the input; R2: share of the material recycled at end of life (or of
production waste); R3: share sent to energy recovery; A: allocation of burdens and credits
between the supplier and the user of recycled material; B: the same for energy recovery (0
by default in the PEF method); Qsin/Qp, Qsout/Qp: quality of the secondary material entering
and leaving against the primary; Ev: the virgin material; Erec: recycling that made the
recycled input; ErecEoL: recycling at end of life; E*v: the virgin material the recycled
output replaces; EER: energy recovery; ESE: the heat or electricity it replaces; LHV, XER:
the material's lower heating value and the efficiency of its energy recovery; ED: disposal.

**Cut-off** (the recycled-content approach, 100:0): a recycled input carries only its
recycling (Erec), scrap enters burden-free, and a product's end of life carries the burdens
of the waste it sends to disposal or energy recovery, but no credit for what is recycled (the
recycling and its benefit belong to the next user).
"""

from __future__ import annotations

from dataclasses import dataclass

CFF = "cff"
CUT_OFF = "cut_off"
METHODS = (CFF, CUT_OFF)


@dataclass(frozen=True)
class MaterialParameters:
    """A material's parameters as the rule gives them (A, B and the quality ratios)."""

    a: float
    b: float = 0.0
    qsin_qp: float = 1.0
    qsout_qp: float = 1.0


@dataclass(frozen=True)
class EnergyRecovery:
    """The energy-recovery terms: EER (kg CO2e per unit of material recovered), the lower
    heating value (MJ per unit), the recovery efficiencies for heat and electricity and the
    emissions (kg CO2e per MJ) of the heat and electricity the recovery replaces."""

    eer: float = 0.0
    lhv: float = 0.0
    x_heat: float = 0.0
    x_elec: float = 0.0
    ese_heat: float = 0.0
    ese_elec: float = 0.0

    @property
    def net(self) -> float:
        """EER − LHV XER,heat ESE,heat − LHV XER,elec ESE,elec."""
        return self.eer - self.lhv * (self.x_heat * self.ese_heat + self.x_elec * self.ese_elec)


@dataclass(frozen=True)
class Terms:
    """The result per unit of material, by term of the formula."""

    virgin: float  # (1 − R1) Ev
    recycled_content: float  # R1 (A Erec + (1 − A) Ev Qsin/Qp); cut-off: R1 Erec
    recycling_end_of_life: float  # (1 − A) R2 (ErecEoL − E*v Qsout/Qp); cut-off: 0
    energy_recovery: float  # (1 − B) R3 (EER − …); cut-off: R3 EER (no credit)
    disposal: float  # (1 − R2 − R3) ED

    @property
    def input_side(self) -> float:
        """What the material costs where it is used (the first two terms)."""
        return self.virgin + self.recycled_content

    @property
    def end_of_life(self) -> float:
        """What the material's end of life adds (or credits)."""
        return self.recycling_end_of_life + self.energy_recovery + self.disposal

    @property
    def total(self) -> float:
        return self.input_side + self.end_of_life


def _share(name: str, value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie between 0 and 1, not {value!r}")
    return value


def _check(r1: float, r2: float, r3: float, p: MaterialParameters | None) -> None:
    _share("R1", r1)
    _share("R2", r2)
    _share("R3", r3)
    if r2 + r3 > 1.0 + 1e-12:
        raise ValueError(f"R2 + R3 must not exceed 1 (R2 = {r2!r}, R3 = {r3!r})")
    if p is not None:
        _share("A", p.a)
        _share("B", p.b)
        if p.qsin_qp < 0 or p.qsout_qp < 0:
            raise ValueError("quality ratios cannot be negative")


def cff(
    p: MaterialParameters,
    *,
    r1: float = 0.0,
    ev: float = 0.0,
    erec: float = 0.0,
    r2: float = 0.0,
    erec_eol: float = 0.0,
    ev_star: float = 0.0,
    r3: float = 0.0,
    energy: EnergyRecovery | None = None,
    ed: float = 0.0,
) -> Terms:
    """The Circular Footprint Formula per unit of material, term by term."""
    _check(r1, r2, r3, p)
    recovered = (energy or EnergyRecovery()).net
    return Terms(
        virgin=(1 - r1) * ev,
        recycled_content=r1 * (p.a * erec + (1 - p.a) * ev * p.qsin_qp),
        recycling_end_of_life=(1 - p.a) * r2 * (erec_eol - ev_star * p.qsout_qp),
        energy_recovery=(1 - p.b) * r3 * recovered,
        disposal=(1 - r2 - r3) * ed,
    )


def cut_off(
    *,
    r1: float = 0.0,
    ev: float = 0.0,
    erec: float = 0.0,
    r2: float = 0.0,
    r3: float = 0.0,
    energy: EnergyRecovery | None = None,
    ed: float = 0.0,
) -> Terms:
    """The cut-off (recycled-content) approach per unit of material, in the same terms."""
    _check(r1, r2, r3, None)
    return Terms(
        virgin=(1 - r1) * ev,
        recycled_content=r1 * erec,
        recycling_end_of_life=0.0,
        energy_recovery=r3 * (energy or EnergyRecovery()).eer,
        disposal=(1 - r2 - r3) * ed,
    )


def input_weights(method: str, r1: float, p: MaterialParameters | None) -> tuple[float, float]:
    """How much of the virgin dataset (Ev) and of the recycled dataset (Erec) one unit of an
    input with recycled content R1 stands for: the input side of the formula is linear in
    both, so a graph carries it as two edges. CFF: (1 − R1 + R1 (1 − A) Qsin/Qp, R1 A);
    cut-off: (1 − R1, R1)."""
    _share("R1", r1)
    if method == CUT_OFF:
        return 1 - r1, r1
    if method != CFF or p is None:
        raise ValueError(f"unknown method {method!r} or no parameters for the CFF")
    _check(r1, 0.0, 0.0, p)
    return 1 - r1 + r1 * (1 - p.a) * p.qsin_qp, r1 * p.a
