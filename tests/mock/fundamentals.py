"""Fundamentals endpoints of the mock provider, and the truth behind them.

Pure functions of their arguments (stdlib only), imported by mockprovider.py
and by tests. Five providers (shared/PROVIDERS.md §1.2-1.3, §3, §4, §5, §6):

  yahoo         GET /  (cookie), /v1/test/getcrumb, /v10/finance/quoteSummary/{SYM}
  fmp           GET /stable/profile, /stable/ratios-ttm, /stable/shares-float
  alphavantage  GET /query?function=OVERVIEW
  polygon       GET /v3/reference/tickers/{T}
  tiingo        GET /tiingo/daily/{t}, /tiingo/fundamentals/{t}/daily

Every value is fixed, except Tiingo's daily fundamentals rows: they are the
5 NYSE sessions before today (New York), so they depend on `now`.
The providers deliberately disagree (market cap, float, P/E, 52-week range
...) so that a test can tell which provider a merged field came from.

Test API:
  truth(provider, symbol, now=None)          flat dict of the provider's raw fields, or None
  payload(provider, symbol, part, now=None)  the exact object one endpoint/module sends, or None
  parts(provider, symbol, now=None)          the parts that exist: quoteSummary modules, FMP
                                             endpoints, "overview", "ticker", "meta"/"daily"
  SYMBOLS[provider]                          the symbols that provider knows
  YAHOO_COOKIE, YAHOO_CRUMB, crumb(generation)
"""

import copy
import hashlib
import time
from datetime import datetime, timezone
from email.utils import formatdate
from urllib.parse import unquote

import dataset as D
import nyse

UTC = timezone.utc
PROVIDERS = ("yahoo", "fmp", "alphavantage", "polygon", "tiingo")

# ------------------------------------------------------------------ Yahoo auth
YAHOO_COOKIE_NAME = "A3"
YAHOO_COOKIE_VALUE = "d=AQABBTEST&S=AQAAAmock"
YAHOO_COOKIE = f"{YAHOO_COOKIE_NAME}={YAHOO_COOKIE_VALUE}"  # what the client sends back
YAHOO_CRUMB = "Ab1/Cd2.Ef3"  # generation 0; contains '/', so it must be percent-encoded


def crumb(generation):
    """The crumb of a generation: 0 is YAHOO_CRUMB; every crumb_rotate adds one."""
    return YAHOO_CRUMB if generation == 0 else f"Rt{generation}/Cd2.Ef3"


# A fixed "last trade" time: Friday 2025-06-13 16:00 New York (EDT).
MARKET_TIME = 1749844800

# ------------------------------------------------------------------ Yahoo data
_AAPL_DESC = ("Apple Inc. designs, manufactures, and markets smartphones, personal computers, tablets, wearables, "
              "and accessories worldwide. The company offers iPhone, Mac, iPad, and wearables, home, and "
              "accessories. It is headquartered in Cupertino, California.")
_MSFT_DESC = ("Microsoft Corporation develops and supports software, services, devices, and solutions worldwide. "
              "It operates through Productivity and Business Processes, Intelligent Cloud, and More Personal "
              "Computing segments. It is headquartered in Redmond, Washington.")
_SPY_DESC = ("The SPDR S&P 500 ETF Trust seeks to provide investment results that correspond generally to the "
             "price and yield performance of the S&P 500 Index.")


def _yahoo_equity(sym, name, industry, ikey, website, summary, employees, addr, phone, officer,
                  px, prev, mcap, pe, fpe, dy, drate, beta, hi52, lo52, shares, flt, eps, feps, first_trade):
    return {
        "assetProfile": {
            "address1": addr[0], "city": addr[1], "state": addr[2], "zip": addr[3], "country": "United States",
            "phone": phone, "website": website, "industry": industry, "industryKey": ikey,
            "industryDisp": industry, "sector": "Technology", "sectorKey": "technology", "sectorDisp": "Technology",
            "longBusinessSummary": summary, "fullTimeEmployees": employees,
            "companyOfficers": [{"maxAge": 1, "name": officer[0], "age": officer[1], "title": officer[2],
                                 "yearBorn": 2024 - officer[1], "fiscalYear": 2024, "totalPay": officer[3],
                                 "exercisedValue": 0, "unexercisedValue": 0}],
            "irWebsite": website + "/investor", "maxAge": 86400},
        "summaryDetail": {
            "maxAge": 1, "priceHint": 2, "previousClose": prev, "open": round(prev * 1.004, 2),
            "dayLow": round(px * 0.995, 2), "dayHigh": round(px * 1.012, 2), "regularMarketPreviousClose": prev,
            "regularMarketOpen": round(prev * 1.004, 2), "regularMarketDayLow": round(px * 0.995, 2),
            "regularMarketDayHigh": round(px * 1.012, 2), "dividendRate": drate, "dividendYield": dy,
            "exDividendDate": 1747008000, "payoutRatio": 0.1558, "fiveYearAvgDividendYield": 0.57, "beta": beta,
            "trailingPE": pe, "forwardPE": fpe, "volume": 51447349, "regularMarketVolume": 51447349,
            "averageVolume": 61447349, "averageVolume10days": 50101310, "bid": round(px - 0.05, 2),
            "ask": round(px + 0.03, 2), "bidSize": 100, "askSize": 300, "marketCap": mcap,
            "fiftyTwoWeekLow": lo52, "fiftyTwoWeekHigh": hi52, "priceToSalesTrailing12Months": 7.3529,
            "fiftyDayAverage": round(px * 1.02, 3), "twoHundredDayAverage": round(px * 1.11, 3),
            "trailingAnnualDividendRate": round(drate * 0.97, 2), "trailingAnnualDividendYield": 0.00503,
            "currency": "USD", "fromCurrency": None, "toCurrency": None, "lastMarket": None,
            "coinMarketCapLink": None, "algorithm": None, "tradeable": False},
        "defaultKeyStatistics": {
            "maxAge": 1, "priceHint": 2, "enterpriseValue": mcap + 40_123_000_000, "forwardPE": fpe,
            "profitMargins": 0.24301, "floatShares": flt, "sharesOutstanding": shares, "sharesShort": 94_828_443,
            "sharesShortPriorMonth": 108_598_767, "heldPercentInsiders": 0.02085, "heldPercentInstitutions": 0.63367,
            "shortRatio": 1.63, "shortPercentOfFloat": 0.0064, "impliedSharesOutstanding": shares + 3_416_000,
            "category": None, "bookValue": 4.471, "priceToBook": round(px / 4.471, 4), "fundFamily": None,
            "legalType": None, "lastFiscalYearEnd": 1727481600, "nextFiscalYearEnd": 1759017600,
            "mostRecentQuarter": 1743206400, "earningsQuarterlyGrowth": 0.048, "netIncomeToCommon": 97_294_000_128,
            "trailingEps": eps, "forwardEps": feps, "lastSplitFactor": "4:1", "lastSplitDate": 1598832000,
            "enterpriseToRevenue": 7.43, "enterpriseToEbitda": 21.47, "52WeekChange": 0.0512,
            "SandP52WeekChange": 0.0988, "lastDividendValue": 0.26, "lastDividendDate": 1747008000},
        "price": {
            "maxAge": 1, "regularMarketChangePercent": round((px - prev) / prev, 6),
            "regularMarketChange": round(px - prev, 2), "regularMarketTime": MARKET_TIME, "priceHint": 2,
            "regularMarketPrice": px, "regularMarketDayHigh": round(px * 1.012, 2),
            "regularMarketDayLow": round(px * 0.995, 2), "regularMarketVolume": 51447349,
            "regularMarketPreviousClose": prev, "regularMarketSource": "FREE_REALTIME",
            "regularMarketOpen": round(prev * 1.004, 2), "exchange": "NMS", "exchangeName": "NasdaqGS",
            "exchangeDataDelayedBy": 0, "marketState": "CLOSED", "quoteType": "EQUITY", "symbol": sym,
            "underlyingSymbol": None, "shortName": name[0], "longName": name[1], "currency": "USD",
            "quoteSourceName": "Nasdaq Real Time Price", "currencySymbol": "$", "fromCurrency": None,
            "toCurrency": None, "lastMarket": None, "marketCap": mcap},
        "financialData": {
            "maxAge": 86400, "currentPrice": px, "targetHighPrice": round(px * 1.5, 2),
            "targetLowPrice": round(px * 0.87, 2), "targetMeanPrice": round(px * 1.16, 2),
            "targetMedianPrice": round(px * 1.17, 2), "recommendationMean": 2.06, "recommendationKey": "buy",
            "numberOfAnalystOpinions": 40, "totalCash": 48_497_999_872, "totalCashPerShare": 3.247,
            "ebitda": 138_865_999_872, "totalDebt": 98_186_002_432, "quickRatio": 0.68, "currentRatio": 0.821,
            "totalRevenue": 400_366_010_368, "debtToEquity": 146.994, "revenuePerShare": 26.455,
            "returnOnAssets": 0.23809, "returnOnEquity": 1.38015, "grossProfits": 186_699_005_952,
            "freeCashflow": 97_251_500_032, "operatingCashflow": 109_555_998_720, "earningsGrowth": 0.078,
            "revenueGrowth": 0.051, "grossMargins": 0.46632, "ebitdaMargins": 0.34685, "operatingMargins": 0.31028,
            "profitMargins": 0.24301, "financialCurrency": "USD"},
        "quoteType": {
            "exchange": "NMS", "quoteType": "EQUITY", "symbol": sym, "shortName": name[0],
            "longName": name[1], "firstTradeDateEpochUtc": first_trade, "timeZoneFullName": "America/New_York",
            "timeZoneShortName": "EDT", "uuid": hashlib.md5(sym.encode()).hexdigest(),
            "messageBoardId": f"finmb_{sum(map(ord, sym)) * 1013}", "gmtOffSetMilliseconds": -14400000,
            "maxAge": 1},
    }


_YAHOO = {
    "AAPL": _yahoo_equity(
        "AAPL", ("Apple Inc.", "Apple Inc."), "Consumer Electronics", "consumer-electronics",
        "https://www.apple.com", _AAPL_DESC, 150000, ("One Apple Park Way", "Cupertino", "CA", "95014"),
        "(408) 996-1010", ("Mr. Timothy D. Cook", 63, "CEO & Director", 16520856),
        px=196.45, prev=198.78, mcap=2942301290496, pe=30.614, fpe=23.6319, dy=0.0052, drate=1.04, beta=1.211,
        hi52=260.1, lo52=169.21, shares=14935799808, flt=14911480604, eps=6.42, feps=8.31, first_trade=345479400),
    "MSFT": _yahoo_equity(
        "MSFT", ("Microsoft Corporation", "Microsoft Corporation"), "Software - Infrastructure",
        "software-infrastructure", "https://www.microsoft.com", _MSFT_DESC, 228000,
        ("One Microsoft Way", "Redmond", "WA", "98052-6399"), "425 882 8080",
        ("Mr. Satya  Nadella", 56, "Chairman & CEO", 7869318),
        px=474.96, prev=478.87, mcap=3530260430848, pe=36.7357, fpe=31.5612, dy=0.0069, drate=3.32, beta=1.026,
        hi52=480.0, lo52=344.79, shares=7432540160, flt=7426034803, eps=12.93, feps=15.05, first_trade=511108200),
    "SPY": {
        "summaryDetail": {
            "maxAge": 1, "priceHint": 2, "previousClose": 603.75, "open": 600.01, "dayLow": 596.14,
            "dayHigh": 601.85, "regularMarketPreviousClose": 603.75, "regularMarketOpen": 600.01,
            "regularMarketDayLow": 596.14, "regularMarketDayHigh": 601.85, "trailingPE": 26.58, "volume": 89506045,
            "regularMarketVolume": 89506045, "averageVolume": 76581023, "averageVolume10days": 66810070,
            "bid": 597.0, "ask": 597.06, "bidSize": 800, "askSize": 1200, "yield": 0.0121,
            "totalAssets": 603214323712, "fiftyTwoWeekLow": 481.8, "fiftyTwoWeekHigh": 613.23,
            "fiftyDayAverage": 578.1, "twoHundredDayAverage": 583.9, "trailingAnnualDividendRate": 7.04,
            "trailingAnnualDividendYield": 0.01166, "navPrice": 597.41, "currency": "USD", "fromCurrency": None,
            "toCurrency": None, "lastMarket": None, "coinMarketCapLink": None, "algorithm": None,
            "tradeable": False},
        "price": {
            "maxAge": 1, "regularMarketChangePercent": -0.011056, "regularMarketChange": -6.68,
            "regularMarketTime": MARKET_TIME, "priceHint": 2, "regularMarketPrice": 597.0,
            "regularMarketDayHigh": 601.85, "regularMarketDayLow": 596.14, "regularMarketVolume": 89506045,
            "regularMarketPreviousClose": 603.75, "regularMarketSource": "FREE_REALTIME", "regularMarketOpen": 600.01,
            "exchange": "PCX", "exchangeName": "NYSEArca", "exchangeDataDelayedBy": 0, "marketState": "CLOSED",
            "quoteType": "ETF", "symbol": "SPY", "underlyingSymbol": None, "shortName": "SPDR S&P 500",
            "longName": "SPDR S&P 500 ETF Trust", "currency": "USD", "quoteSourceName": "Nasdaq Real Time Price",
            "currencySymbol": "$", "fromCurrency": None, "toCurrency": None, "lastMarket": None},
        "quoteType": {
            "exchange": "PCX", "quoteType": "ETF", "symbol": "SPY",
            "shortName": "SPDR S&P 500", "longName": "SPDR S&P 500 ETF Trust", "firstTradeDateEpochUtc": 728317800,
            "timeZoneFullName": "America/New_York", "timeZoneShortName": "EDT",
            "uuid": hashlib.md5(b"SPY").hexdigest(), "messageBoardId": "finmb_6160262",
            "gmtOffSetMilliseconds": -14400000, "maxAge": 1},
    },
}
YAHOO_MODULES = ("assetProfile", "summaryDetail", "defaultKeyStatistics", "price", "financialData", "quoteType")

# -------------------------------------------------------------------- FMP data
FMP_ENDPOINTS = ("profile", "ratios-ttm", "shares-float")


def _fmp_profile(sym, price, mcap, beta, last_div, rng, name, cik, isin, cusip, industry, website, desc, ceo,
                 sector, employees, phone, addr, ipo, exchange="NASDAQ", exchange_full="NASDAQ Global Select",
                 is_etf=False, is_fund=False):
    return {"symbol": sym, "price": price, "marketCap": mcap, "beta": beta, "lastDividend": last_div,
            "range": rng, "change": -2.33, "changePercentage": -1.17215, "volume": 51396386,
            "averageVolume": 61446720, "companyName": name, "currency": "USD", "cik": cik, "isin": isin,
            "cusip": cusip, "exchangeFullName": exchange_full, "exchange": exchange, "industry": industry,
            "website": website, "description": desc, "ceo": ceo, "sector": sector, "country": "US",
            "fullTimeEmployees": employees, "phone": phone, "address": addr[0], "city": addr[1], "state": addr[2],
            "zip": addr[3], "image": f"https://images.financialmodelingprep.com/symbol/{sym}.png", "ipoDate": ipo,
            "defaultImage": False, "isEtf": is_etf, "isActivelyTrading": True, "isAdr": False, "isFund": is_fund}


_FMP = {
    "AAPL": {
        "profile": [_fmp_profile(
            "AAPL", 196.45, 2934180740900, 1.211, 1.01, "164.08-260.1", "Apple Inc.", "0000320193",
            "US0378331005", "037833100", "Consumer Electronics", "https://www.apple.com", _AAPL_DESC,
            "Mr. Timothy D. Cook", "Technology", "164000", "(408) 996-1010",
            ("One Apple Park Way", "Cupertino", "CA", "95014"), "1980-12-12")],
        "ratios-ttm": [{"symbol": "AAPL", "grossProfitMarginTTM": 0.46632, "operatingProfitMarginTTM": 0.31806,
                        "netProfitMarginTTM": 0.24301, "currentRatioTTM": 0.82077, "quickRatioTTM": 0.67859,
                        "priceToEarningsRatioTTM": 30.71283, "priceToEarningsGrowthRatioTTM": 1.89427,
                        "priceToBookRatioTTM": 45.6121, "priceToSalesRatioTTM": 7.4635,
                        "dividendYieldTTM": 0.005138, "dividendPayoutRatioTTM": 0.15584,
                        "debtToEquityRatioTTM": 1.46994, "enterpriseValueMultipleTTM": 21.3876}],
        "shares-float": [{"symbol": "AAPL", "date": "2025-06-13 10:32:15", "freeFloat": 99.8367,
                          "floatShares": 14911473020, "outstandingShares": 14935826000}],
    },
    "MSFT": {
        "profile": [_fmp_profile(
            "MSFT", 474.96, 3530302576000, 1.026, 3.32, "344.79-480", "Microsoft Corporation", "0000789019",
            "US5949181045", "594918104", "Software - Infrastructure", "https://www.microsoft.com", _MSFT_DESC,
            "Mr. Satya  Nadella", "Technology", "228000", "425 882 8080",
            ("One Microsoft Way", "Redmond", "WA", "98052-6399"), "1986-03-13")],
        # Hazard: one copy of ratios-ttm had its values as strings.
        "ratios-ttm": [{"symbol": "MSFT", "grossProfitMarginTTM": "0.69071", "operatingProfitMarginTTM": "0.45227",
                        "netProfitMarginTTM": "0.35789", "currentRatioTTM": "1.3705",
                        "priceToEarningsRatioTTM": "36.55818", "priceToBookRatioTTM": "10.9123",
                        "priceToSalesRatioTTM": "13.0871", "dividendYieldTTM": "0.006805",
                        "dividendPayoutRatioTTM": "0.24662"}],
        "shares-float": [{"symbol": "MSFT", "date": "2025-06-13 10:32:15", "freeFloat": 99.9102,
                          "floatShares": 7425867511, "outstandingShares": 7432540000}],
    },
    "SPY": {  # an ETF: a profile with empty sector/industry, nothing else
        "profile": [_fmp_profile(
            "SPY", 597.0, 547883154000, 1.0, 7.04, "481.8-613.23", "SPDR S&P 500 ETF Trust", "0000884394",
            "US78462F1030", "78462F103", "", "https://www.ssga.com", _SPY_DESC, "", "", None, "866 787 2257",
            ("One Lincoln Street", "Boston", "MA", "02111"), "1993-01-29", exchange="AMEX",
            exchange_full="New York Stock Exchange Arca", is_etf=True, is_fund=False)],
        "ratios-ttm": [],
        "shares-float": [],
    },
}

# ----------------------------------------------------------- Alpha Vantage data
_AV = {
    "AAPL": {
        "Symbol": "AAPL", "AssetType": "Common Stock", "Name": "Apple Inc", "Description": _AAPL_DESC,
        "CIK": "320193", "Exchange": "NASDAQ", "Currency": "USD", "Country": "USA", "Sector": "TECHNOLOGY",
        "Industry": "ELECTRONIC COMPUTERS", "Address": "ONE APPLE PARK WAY, CUPERTINO, CA, US",
        "OfficialSite": "https://www.apple.com", "FiscalYearEnd": "September", "LatestQuarter": "2025-03-31",
        "MarketCapitalization": "2942301290000", "EBITDA": "138865999000", "PERatio": "30.6", "PEGRatio": "None",
        "BookValue": "4.471", "DividendPerShare": "1", "DividendYield": "0.0051", "EPS": "6.42",
        "RevenuePerShareTTM": "26.45", "ProfitMargin": "0.243", "OperatingMarginTTM": "0.31",
        "ReturnOnAssetsTTM": "0.238", "ReturnOnEquityTTM": "1.38", "RevenueTTM": "400366010000",
        "GrossProfitTTM": "186699006000", "DilutedEPSTTM": "6.42", "QuarterlyEarningsGrowthYOY": "0.048",
        "QuarterlyRevenueGrowthYOY": "0.051", "AnalystTargetPrice": "228.85", "AnalystRatingStrongBuy": "7",
        "AnalystRatingBuy": "21", "AnalystRatingHold": "16", "AnalystRatingSell": "2",
        "AnalystRatingStrongSell": "1", "TrailingPE": "30.6", "ForwardPE": "-", "PriceToSalesRatioTTM": "7.35",
        "PriceToBookRatio": "44.0", "EVToRevenue": "7.43", "EVToEBITDA": "21.47", "Beta": "1.211",
        "52WeekHigh": "259.47", "52WeekLow": "168.99", "50DayMovingAverage": "201.32",
        "200DayMovingAverage": "223.45", "SharesOutstanding": "14935800000", "SharesFloat": "14911480000",
        "PercentInsiders": "2.085", "PercentInstitutions": "63.367", "DividendDate": "2025-05-15",
        "ExDividendDate": "2025-05-12"},
    "MSFT": {
        "Symbol": "MSFT", "AssetType": "Common Stock", "Name": "Microsoft Corporation", "Description": _MSFT_DESC,
        "CIK": "789019", "Exchange": "NASDAQ", "Currency": "USD", "Country": "USA", "Sector": "TECHNOLOGY",
        "Industry": "SERVICES-PREPACKAGED SOFTWARE", "Address": "ONE MICROSOFT WAY, REDMOND, WA, US",
        "OfficialSite": "https://www.microsoft.com", "FiscalYearEnd": "June", "LatestQuarter": "2025-03-31",
        "MarketCapitalization": "3530260000000", "EBITDA": "152874000000", "PERatio": "None", "PEGRatio": "2.113",
        "BookValue": "43.3", "DividendPerShare": "3.24", "DividendYield": "0.0068", "EPS": "12.94",
        "RevenuePerShareTTM": "36.96", "ProfitMargin": "0.358", "OperatingMarginTTM": "0.457",
        "ReturnOnAssetsTTM": "0.146", "ReturnOnEquityTTM": "0.337", "RevenueTTM": "270010000000",
        "GrossProfitTTM": "186509000000", "DilutedEPSTTM": "12.94", "QuarterlyEarningsGrowthYOY": "0.177",
        "QuarterlyRevenueGrowthYOY": "0.133", "AnalystTargetPrice": "514.6", "AnalystRatingStrongBuy": "9",
        "AnalystRatingBuy": "40", "AnalystRatingHold": "6", "AnalystRatingSell": "0",
        "AnalystRatingStrongSell": "0", "TrailingPE": "None", "ForwardPE": "31.55", "PriceToSalesRatioTTM": "13.07",
        "PriceToBookRatio": "10.91", "EVToRevenue": "13.1", "EVToEBITDA": "23.1", "Beta": "1.026",
        "52WeekHigh": "479.85", "52WeekLow": "344.79", "50DayMovingAverage": "431.2",
        "200DayMovingAverage": "421.07", "SharesOutstanding": "7432540000", "SharesFloat": "7426030000",
        "PercentInsiders": "1.422", "PercentInstitutions": "74.121", "DividendDate": "2025-06-12",
        "ExDividendDate": "2025-05-15"},
    # SPY: an ETF; OVERVIEW does not cover ETFs, so it answers {} like an unknown symbol.
}

# ----------------------------------------------------------------- Polygon data
_POLYGON = {
    "AAPL": {
        "ticker": "AAPL", "name": "Apple Inc.", "market": "stocks", "locale": "us", "primary_exchange": "XNAS",
        "type": "CS", "active": True, "currency_name": "usd", "cik": "0000320193",
        "composite_figi": "BBG000B9XRY4", "share_class_figi": "BBG001S5N8V8", "market_cap": 2934781262318.38,
        "phone_number": "(408) 996-1010",
        "address": {"address1": "ONE APPLE PARK WAY", "city": "CUPERTINO", "state": "CA", "postal_code": "95014"},
        "description": _AAPL_DESC, "sic_code": "3571", "sic_description": "ELECTRONIC COMPUTERS",
        "ticker_root": "AAPL", "homepage_url": "https://www.apple.com", "total_employees": 164000,
        "list_date": "1980-12-12",
        "branding": {"logo_url": "https://api.polygon.io/v1/reference/company-branding/YXBwbGUuY29t/images/"
                                 "2025-04-04_logo.svg",
                     "icon_url": "https://api.polygon.io/v1/reference/company-branding/YXBwbGUuY29t/images/"
                                 "2025-04-04_icon.png"},
        "share_class_shares_outstanding": 14939310000, "weighted_shares_outstanding": 14935826000,
        "round_lot": 100},
    "MSFT": {
        "ticker": "MSFT", "name": "Microsoft Corp", "market": "stocks", "locale": "us", "primary_exchange": "XNAS",
        "type": "CS", "active": True, "currency_name": "usd", "cik": "0000789019",
        "composite_figi": "BBG000BPH459", "share_class_figi": "BBG001S5TD05", "market_cap": 3530156357120.0,
        "phone_number": "(425) 882-8080",
        "address": {"address1": "ONE MICROSOFT WAY", "city": "REDMOND", "state": "WA", "postal_code": "98052-6399"},
        "description": _MSFT_DESC, "sic_code": "7372", "sic_description": "SERVICES-PREPACKAGED SOFTWARE",
        "ticker_root": "MSFT", "homepage_url": "https://www.microsoft.com", "total_employees": 228000,
        "list_date": "1986-03-13",
        "branding": {"logo_url": "https://api.polygon.io/v1/reference/company-branding/bWljcm9zb2Z0LmNvbQ/images/"
                                 "2025-04-04_logo.svg",
                     "icon_url": "https://api.polygon.io/v1/reference/company-branding/bWljcm9zb2Z0LmNvbQ/images/"
                                 "2025-04-04_icon.jpeg"},
        "share_class_shares_outstanding": 7433170000, "weighted_shares_outstanding": 7432540000,
        "round_lot": 100},
    "SPY": {  # an ETF: no market_cap, no SIC, no weighted shares
        "ticker": "SPY", "name": "SPDR S&P 500 ETF Trust", "market": "stocks", "locale": "us",
        "primary_exchange": "ARCX", "type": "ETF", "active": True, "currency_name": "usd", "cik": "0000884394",
        "composite_figi": "BBG000BDTBL9", "share_class_figi": "BBG001S72SM3", "list_date": "1993-01-29",
        "share_class_shares_outstanding": 917732116, "round_lot": 100},
}

# ------------------------------------------------------------------ Tiingo data
_TIINGO_META = {
    "AAPL": {"ticker": "AAPL", "name": "Apple Inc", "exchangeCode": "NASDAQ", "startDate": "1980-12-12",
             "description": _AAPL_DESC},
    "MSFT": {"ticker": "MSFT", "name": "Microsoft Corp", "exchangeCode": "NASDAQ", "startDate": "1986-03-13",
             "description": _MSFT_DESC},
    "SPY": {"ticker": "SPY", "name": "SPDR S&P 500 ETF Trust", "exchangeCode": "NYSE ARCA",
            "startDate": "1993-01-29", "description": _SPY_DESC},
}
# base (marketCap, enterprise value add-on, peRatio, pbRatio, trailingPEG1Y) for the daily rows
_TIINGO_BASE = {"AAPL": (2.9387e12, 5.0e10, 30.52, 44.81, 1.91),
                "MSFT": (3.5281e12, 4.1e10, 36.41, 10.88, 2.07)}
TIINGO_DAILY_ROWS = 5

SYMBOLS = {"yahoo": frozenset(_YAHOO), "fmp": frozenset(_FMP), "alphavantage": frozenset(_AV),
           "polygon": frozenset(_POLYGON), "tiingo": frozenset(_TIINGO_META)}


def _u(*parts):
    d = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(d, "big") / 2.0 ** 64


def _now(now):
    return time.time() if now is None else now


def tiingo_dates(now=None):
    """The TIINGO_DAILY_ROWS NYSE sessions before today (New York), oldest first."""
    d, out = D.ny_date(int(_now(now))), []
    while len(out) < TIINGO_DAILY_ROWS:
        d = nyse.prev_session(d)
        out.append(d)
    return out[::-1]


def _tiingo_daily(symbol, now):
    if symbol not in _TIINGO_BASE:
        return []
    mc0, ev0, pe0, pb0, peg0 = _TIINGO_BASE[symbol]
    rows = []
    for d in tiingo_dates(now):
        f = 1 + 0.03 * (_u(symbol, d, "tiingo") - 0.5)
        rows.append({"date": f"{d.isoformat()}T00:00:00.000Z", "marketCap": round(mc0 * f, 2),
                     "enterpriseVal": round(mc0 * f + ev0, 2), "peRatio": round(pe0 * f, 4),
                     "pbRatio": round(pb0 * f, 4), "trailingPEG1Y": round(peg0 * f, 4)})
    return rows


def _tiingo_meta(symbol, now):
    if symbol not in _TIINGO_META:
        return None
    meta = dict(_TIINGO_META[symbol])
    meta["endDate"] = tiingo_dates(now)[-1].isoformat()
    return meta


# ------------------------------------------------------------------- test API
def parts(provider, symbol, now=None):
    """Names of the parts that provider has for symbol (empty if unknown)."""
    if provider == "yahoo":
        return [m for m in YAHOO_MODULES if m in _YAHOO.get(symbol, {})]
    if provider == "fmp":
        return [e for e in FMP_ENDPOINTS if _FMP.get(symbol, {}).get(e)]
    if provider == "alphavantage":
        return ["overview"] if symbol in _AV else []
    if provider == "polygon":
        return ["ticker"] if symbol in _POLYGON else []
    if provider == "tiingo":
        return [p for p in ("meta", "daily") if symbol in _TIINGO_META and (p == "meta" or symbol in _TIINGO_BASE)]
    raise ValueError(f"unknown provider {provider!r}")


def payload(provider, symbol, part, now=None):
    """A deep copy of what one endpoint/module sends (formatted=false for Yahoo),
    or None: yahoo MODULE dict; fmp ENDPOINT list (the whole JSON body);
    alphavantage "overview" dict; polygon "ticker" (the `results` object);
    tiingo "meta" dict or "daily" list (newest last)."""
    if provider == "yahoo":
        obj = _YAHOO.get(symbol, {}).get(part)
    elif provider == "fmp":
        obj = _FMP.get(symbol, {}).get(part)
    elif provider == "alphavantage":
        obj = _AV.get(symbol) if part == "overview" else None
    elif provider == "polygon":
        obj = _POLYGON.get(symbol) if part == "ticker" else None
    elif provider == "tiingo":
        now = _now(now)
        obj = (_tiingo_meta(symbol, now) if part == "meta" else
               (_tiingo_daily(symbol, now) if symbol in _TIINGO_META else None) if part == "daily" else None)
    else:
        raise ValueError(f"unknown provider {provider!r}")
    return copy.deepcopy(obj)


def truth(provider, symbol, now=None):
    """Flat dict of the provider's raw fields for symbol, or None if it has none.
    yahoo: the union of all modules' fields (plain numbers, no maxAge);
    fmp: the union of profile, ratios-ttm and shares-float (first row each);
    alphavantage: the OVERVIEW object (all strings); polygon: `results`;
    tiingo: the metadata plus the NEWEST daily row (its "date" included)."""
    out = {}
    for part in parts(provider, symbol, now):
        obj = payload(provider, symbol, part, now)
        if isinstance(obj, list):
            obj = obj[-1] if obj else {}
        for k, v in obj.items():
            if provider == "yahoo" and k == "maxAge":
                continue
            assert out.get(k, v) == v, (provider, symbol, k)
            out[k] = v
    return out or None


# ---------------------------------------------------------- HTTP answers
# Each returns (status, body, headers[, content_type]); body: JSON-able object
# or str (text/plain unless a content type is given).
def request_id(target):
    return hashlib.md5(target.encode()).hexdigest()


def yahoo_cookie(now):
    """GET / (the client's cookie_url): 404 plus the A3 (and A1) cookies."""
    exp = formatdate(now + 365 * 86400, usegmt=True)
    a3 = f"{YAHOO_COOKIE}; Expires={exp}; Path=/; Domain=127.0.0.1; Secure; HttpOnly; SameSite=None"
    a1 = f"A1={YAHOO_COOKIE_VALUE}; Expires={exp}; Path=/; Domain=127.0.0.1; Secure; HttpOnly; SameSite=Lax"
    body = "<!DOCTYPE html><html><head><title>Yahoo</title></head><body>404 Not Found</body></html>"
    return 404, body, {"Set-Cookie": [a3, a1]}, "text/html; charset=utf-8"


def _cookies(header):
    jar = {}
    for part in (header or "").split(";"):
        k, sep, v = part.strip().partition("=")
        if sep:
            jar.setdefault(k.strip(), v.strip())
    return jar


def has_yahoo_cookie(cookie_header):
    return _cookies(cookie_header).get(YAHOO_COOKIE_NAME) == YAHOO_COOKIE_VALUE


def yahoo_getcrumb(cookie_header, current):
    """GET /v1/test/getcrumb: the crumb as text/plain; without the A3 cookie:
    403 with an EMPTY text/plain body."""
    if not has_yahoo_cookie(cookie_header):
        return 403, "", {}
    return 200, current, {}


def _quote_summary_error(status, code, description):
    return status, {"quoteSummary": {"result": None, "error": {"code": code, "description": description}}}, {}


INVALID_CRUMB = {"finance": {"result": None, "error": {"code": "Unauthorized", "description": "Invalid Crumb"}}}
_PCT_KEYS = frozenset((
    "dividendYield", "payoutRatio", "trailingAnnualDividendYield", "yield", "profitMargins", "heldPercentInsiders",
    "heldPercentInstitutions", "shortPercentOfFloat", "earningsQuarterlyGrowth", "52WeekChange",
    "SandP52WeekChange", "revenueGrowth", "earningsGrowth", "grossMargins", "ebitdaMargins", "operatingMargins",
    "returnOnAssets", "returnOnEquity", "regularMarketChangePercent"))
_DATE_KEYS = frozenset(("exDividendDate", "lastFiscalYearEnd", "nextFiscalYearEnd", "mostRecentQuarter",
                        "lastSplitDate", "lastDividendDate"))
_PLAIN_KEYS = frozenset(("maxAge", "regularMarketTime", "firstTradeDateEpochUtc", "gmtOffSetMilliseconds",
                         "exchangeDataDelayedBy", "fullTimeEmployees", "age", "yearBorn", "fiscalYear"))


def _compact(x):
    for div, suf in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.2f}{suf}"
    return f"{x:.2f}"


def _fmt(key, v):
    """formatted=true rendering of one value: numbers become {raw, fmt[, longFmt]}, nulls {}."""
    if isinstance(v, dict):
        return {k: _fmt(k, x) for k, x in v.items()}
    if isinstance(v, list):
        return [_fmt(key, x) for x in v]
    if v is None:
        return {}
    if isinstance(v, bool) or isinstance(v, str) or key in _PLAIN_KEYS:
        return v
    if key in _PCT_KEYS:
        return {"raw": v, "fmt": f"{v * 100:.2f}%"}
    if key in _DATE_KEYS:
        return {"raw": v, "fmt": datetime.fromtimestamp(v, UTC).strftime("%Y-%m-%d")}
    if abs(v) >= 1e6:
        return {"raw": v, "fmt": _compact(v), "longFmt": f"{v:,.0f}"}
    return {"raw": v, "fmt": f"{v:.2f}"}


def _raw_param(raw_query, name):
    for part in raw_query.split("&"):
        k, sep, v = part.partition("=")
        if sep and unquote(k) == name:
            return v
    return None


def yahoo_quote_summary(symbol, query, raw_query, cookie_header, current):
    """GET /v10/finance/quoteSummary/{symbol}?modules=..&formatted=..&crumb=..
    Needs the A3 cookie and the current crumb, percent-encoded (a raw '/' in
    the crumb counts as a wrong crumb): else 401 Invalid Crumb."""
    raw = _raw_param(raw_query, "crumb")
    if not has_yahoo_cookie(cookie_header) or raw is None or "/" in raw or unquote(raw) != current:
        return 401, INVALID_CRUMB, {}
    mods = [m.strip() for m in query.get("modules", "").split(",") if m.strip()]
    if not mods:
        return _quote_summary_error(400, "Bad Request", 'Missing value for the "modules" argument')
    data = _YAHOO.get(symbol, {})
    found = {m: copy.deepcopy(data[m]) for m in mods if m in data}
    if not found:
        return _quote_summary_error(404, "Not Found", "No fundamentals data found for any of the summaryTypes="
                                    + ",".join(mods))
    if query.get("formatted", "true").lower() != "false":
        found = {m: _fmt(m, v) for m, v in found.items()}
    return 200, {"quoteSummary": {"result": [found], "error": None}}, {}


FMP_INVALID_KEY = {"Error Message": "Invalid API KEY. Feel free to create a Free API Key or visit "
                                    "https://site.financialmodelingprep.com/faqs?search=why-is-my-api-key-invalid "
                                    "for more information."}
FMP_LIMIT = {"Error Message": "Limit Reach . Please upgrade your plan or visit our documentation for more details "
                              "at https://site.financialmodelingprep.com/"}


def fmp(path, query, headers):
    """GET /stable/{profile,ratios-ttm,shares-float}?symbol=S&apikey=K (or an `apikey:` header)."""
    key = query.get("apikey") or headers.get("apikey") or ""
    if not key:
        return 401, FMP_INVALID_KEY, {}
    endpoint = path[len("/stable/"):]
    if endpoint not in FMP_ENDPOINTS:
        return 404, {"Error Message": f"Unknown endpoint /stable/{endpoint} (mock)"}, {}
    symbol = query.get("symbol", "")
    if not symbol:
        return 400, {"Error Message": "Query Error: symbol is required"}, {}
    return 200, copy.deepcopy(_FMP.get(symbol, {}).get(endpoint, [])), {}


AV_BAD_KEY = {"Error Message": "the parameter apikey is invalid or missing. Please claim your free API key on "
                               "(https://www.alphavantage.co/support/#api-key). It should take less than 20 seconds."}
AV_NOTE = {"Note": "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute and "
                   "500 calls per day. Please visit https://www.alphavantage.co/premium/ if you would like to target "
                   "a higher API call frequency."}
AV_INFORMATION = {"Information": "Thank you for using Alpha Vantage! Our standard API rate limit is 25 requests per "
                                 "day. Please subscribe to any of the premium plans at "
                                 "https://www.alphavantage.co/premium/ to instantly remove all daily rate limits."}


def alphavantage(query):
    """GET /query?function=OVERVIEW&symbol=S&apikey=K: errors are HTTP 200 too."""
    if not query.get("apikey"):
        return 200, AV_BAD_KEY, {}
    function = query.get("function", "")
    if function != "OVERVIEW":
        return 200, {"Error Message": f"This API function ({function}) does not exist."}, {}
    if not query.get("symbol"):
        return 200, {"Error Message": "Invalid API call. Please retry or visit the documentation "
                                      "(https://www.alphavantage.co/documentation/) for OVERVIEW."}, {}
    return 200, copy.deepcopy(_AV.get(query["symbol"], {})), {}


def polygon(path, query, headers, target):
    """GET /v3/reference/tickers/{T}?apiKey=K (or Authorization: Bearer K)."""
    rid = request_id(target)
    auth = headers.get("authorization", "")
    key = query.get("apiKey") or (auth[7:].strip() if auth[:7].lower() == "bearer " else "")
    if not key:
        return 401, {"status": "ERROR", "request_id": rid, "error": "API Key was not provided"}, {}
    prefix = "/v3/reference/tickers/"
    ticker = unquote(path[len(prefix):]) if path.startswith(prefix) else ""
    if not ticker or "/" in ticker:
        return 404, {"status": "NOT_FOUND", "request_id": rid, "message": "Data not found."}, {}
    if ticker not in _POLYGON:
        return 404, {"status": "NOT_FOUND", "request_id": rid, "message": "Ticker not found."}, {}
    return 200, {"results": copy.deepcopy(_POLYGON[ticker]), "status": "OK", "request_id": rid}, {}


TIINGO_FORBIDDEN = {"detail": "You do not have permission to access the Fundamentals API"}


def tiingo(path, query, headers, now):
    """GET /tiingo/daily/{t} and /tiingo/fundamentals/{t}/daily, with
    `Authorization: Token K` (or ?token=K). Tickers are case-insensitive."""
    auth = headers.get("authorization")
    if auth is None and not query.get("token"):
        return 401, {"detail": "Please supply a token"}, {}
    if auth is not None and not (auth[:6].lower() == "token " and auth[6:].strip()):
        return 401, {"detail": "Invalid token."}, {}
    seg = [unquote(s) for s in path.split("/")[1:]]
    if len(seg) == 3 and seg[:2] == ["tiingo", "daily"]:
        kind = "meta"
    elif len(seg) == 4 and seg[:2] == ["tiingo", "fundamentals"] and seg[3] == "daily":
        kind = "daily"
    else:
        return 404, {"detail": "Not found."}, {}
    ticker = seg[2].upper()
    if ticker not in _TIINGO_META:
        return 404, {"detail": f"Error: Ticker '{seg[2]}' not found"}, {}
    if kind == "meta":
        return 200, _tiingo_meta(ticker, now), {}
    rows = _tiingo_daily(ticker, now)
    lo, hi = query.get("startDate", ""), query.get("endDate", "9999")
    return 200, [r for r in rows if lo <= r["date"][:10] <= hi], {}


# ------------------------------------------------------------- fault bodies
def rate_limit(provider, target):
    """(status, body) of the generic "429" fault for a fundamentals provider."""
    if provider == "fmp":
        return 429, FMP_LIMIT
    if provider == "alphavantage":
        return 429, AV_INFORMATION
    if provider == "polygon":
        return 429, {"status": "ERROR", "request_id": request_id(target),
                     "error": "You've exceeded the maximum requests per minute, please wait or upgrade your "
                              "subscription to continue. https://polygon.io/pricing"}
    return 429, {"detail": "Error: You have run over your hourly request allocation."}  # tiingo


MALFORMED = {"fmp": '[{"symbol":"AAPL","price":196.45,"marketCap":',
             "alphavantage": '{"Symbol":"AAPL","AssetType":"Common Stock","Name":',
             "polygon": '{"results":{"ticker":"AAPL","name":"Apple Inc.","market":',
             "tiingo": '{"ticker":"AAPL","name":"Apple Inc","exchangeCode":',
             "tiingo-daily": '[{"date":"2025-06-13T00:00:00.000Z","marketCap":29',
             "yahoo-quoteSummary": '{"quoteSummary":{"result":[{"assetProfile":{"address1":'}
