# cofw golden osf-loaded: a few pf.os-style fingerprints
# window:ttl:df:size:options:genre:version:subtype:details

S44:64:1:60:M*,S,T,N,W7:Linux:2.6:2.6.x:Linux 2.6 and later
65535:128:1:52:M*,N,W2,N,N,S:Windows:2000:SP4:Windows 2000 SP4
%8192: 128 :1:48:M*,N,N,S:Windows:XP:SP1:Windows XP SP1, a multiple of 8192
16384:64:0:44:M*:FreeBSD:4.8:noDF:FreeBSD 4.8 without DF
*:64:1:40:.:Wild:any:noopt:any window, no options
T4:64:1:44:M*:MTUOS:1:mtu:four times the MTU
S2:64:1:44:M1400:@Linux:2.0:generic:a generic Linux, twice the MSS
S44:64:1:60:M*,S,T,N,W7:Linux:2.6:2.6.x:the same line again, loaded once
32768:64:1:48:M*,?9,N,N,S:Odd:1:unknown:an unknown option (?9) is skipped
