"""footprint_platform"""
