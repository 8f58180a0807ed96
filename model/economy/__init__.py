"""economy"""
