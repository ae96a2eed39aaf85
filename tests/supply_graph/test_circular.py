"""The Circular Footprint Formula and the cut-off approach against examples worked by hand."""

from __future__ import annotations

import pytest

from supply_graph.circular import (
    CFF,
    CUT_OFF,
    EnergyRecovery,
    MaterialParameters,
    cff,
    cut_off,
    input_weights,
)

METAL = MaterialParameters(a=0.2, b=0.0, qsin_qp=1.0, qsout_qp=1.0)


def test_cff_for_a_metal_worked_by_hand() -> None:
    """1 kg of aluminium, 30 % recycled content, 90 % recycled at end of life, the rest landfilled.

    A = 0.2, B = 0, Qsin/Qp = Qsout/Qp = 1; Ev = E*v = 16, Erec = ErecEoL = 0.85, ED = 0.02
    (kg CO2e/kg); R1 = 0.3, R2 = 0.9, R3 = 0.

        (1 − R1) Ev                          = 0.7 × 16                          = 11.2
        R1 (A Erec + (1 − A) Ev Qsin/Qp)     = 0.3 × (0.2 × 0.85 + 0.8 × 16)     =  3.891
        (1 − A) R2 (ErecEoL − E*v Qsout/Qp)  = 0.8 × 0.9 × (0.85 − 16)           = −10.908
        (1 − B) R3 (…)                       = 0                                 =  0
        (1 − R2 − R3) ED                     = 0.1 × 0.02                        =  0.002
        total                                = 11.2 + 3.891 − 10.908 + 0.002     =  4.185
    """
    t = cff(METAL, r1=0.3, ev=16, erec=0.85, r2=0.9, erec_eol=0.85, ev_star=16, ed=0.02)
    assert t.virgin == pytest.approx(11.2)
    assert t.recycled_content == pytest.approx(3.891)
    assert t.recycling_end_of_life == pytest.approx(-10.908)
    assert t.energy_recovery == 0
    assert t.disposal == pytest.approx(0.002)
    assert t.input_side == pytest.approx(15.091)
    assert t.end_of_life == pytest.approx(-10.906)
    assert t.total == pytest.approx(4.185)


def test_cff_energy_recovery_term_worked_by_hand() -> None:
    """1 kg of a plastic: A = 0.5, B = 0, Qsout/Qp = 0.9; Ev = E*v = 2.0, ErecEoL = 0.5,
    ED = 0.05; R1 = 0, R2 = 0.3, R3 = 0.5; EER = 2.5 kg CO2e/kg, LHV = 32.8 MJ/kg, XER,heat
    = 0, XER,elec = 0.2, ESE,elec = 0.15 kg CO2e/MJ.

        (1 − R1) Ev                          = 2.0
        (1 − A) R2 (ErecEoL − E*v Qsout/Qp)  = 0.5 × 0.3 × (0.5 − 1.8)         = −0.195
        (1 − B) R3 (EER − LHV XER,elec ESE)  = 0.5 × (2.5 − 32.8 × 0.2 × 0.15) =  0.758
        (1 − R2 − R3) ED                     = 0.2 × 0.05                      =  0.01
        total                                = 2.0 − 0.195 + 0.758 + 0.01      =  2.573
    """
    plastic = MaterialParameters(a=0.5, b=0.0, qsin_qp=1.0, qsout_qp=0.9)
    energy = EnergyRecovery(eer=2.5, lhv=32.8, x_heat=0.0, x_elec=0.2, ese_elec=0.15)
    t = cff(plastic, ev=2.0, r2=0.3, erec_eol=0.5, ev_star=2.0, r3=0.5, energy=energy, ed=0.05)
    assert t.recycling_end_of_life == pytest.approx(-0.195)
    assert t.energy_recovery == pytest.approx(0.758)
    assert t.disposal == pytest.approx(0.01)
    assert t.total == pytest.approx(2.573)
    # B = 1 gives the whole energy-recovery burden and credit to the next user
    assert cff(MaterialParameters(a=0.5, b=1.0), r3=0.5, energy=energy).energy_recovery == 0


def test_cut_off_gives_no_credit_and_takes_only_the_recycling_burden() -> None:
    """The same aluminium under the cut-off: 0.7 × 16 + 0.3 × 0.85 + 0.1 × 0.02 = 11.457; the
    90 % recycled at end of life earns nothing, and scrap (R1 = 1, Erec = 0) costs nothing."""
    t = cut_off(r1=0.3, ev=16, erec=0.85, r2=0.9, ed=0.02)
    assert t.recycling_end_of_life == 0
    assert t.total == pytest.approx(11.457)
    assert cut_off(r1=1.0, ev=16, erec=0.0).total == 0


def test_input_weights_carry_the_input_side_as_two_datasets() -> None:
    """CFF, R1 = 0.3, A = 0.2: 0.7 + 0.3 × 0.8 = 0.94 of the virgin dataset and 0.3 × 0.2 =
    0.06 of the recycled one; 0.94 × 16 + 0.06 × 0.85 = 15.091, the input side above."""
    wv, wr = input_weights(CFF, 0.3, METAL)
    assert (wv, wr) == (pytest.approx(0.94), pytest.approx(0.06))
    assert wv * 16 + wr * 0.85 == pytest.approx(15.091)
    assert input_weights(CUT_OFF, 0.3, None) == (pytest.approx(0.7), pytest.approx(0.3))
    # recycled material never costs more than virgin when its own recycling is below virgin
    for r1 in (0.0, 0.25, 0.5, 1.0):
        cffv = sum(w * e for w, e in zip(input_weights(CFF, r1, METAL), (16, 0.85), strict=True))
        assert cffv <= 16 + 1e-12


@pytest.mark.parametrize(
    "kwargs",
    [{"r1": 1.2}, {"r2": -0.1}, {"r2": 0.7, "r3": 0.5}],
)
def test_shares_outside_zero_to_one_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        cff(METAL, **kwargs)
    with pytest.raises(ValueError):
        cut_off(**kwargs)


def test_cff_needs_its_parameters() -> None:
    with pytest.raises(ValueError):
        input_weights(CFF, 0.3, None)
    with pytest.raises(ValueError):
        cff(MaterialParameters(a=1.5), r1=0.1)
