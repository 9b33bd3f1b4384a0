# Hostile messages for the parser scaling probe (run.sh): each construct at base*1, 2, 4 and 8 (times a per-construct
# scale), written as DIR/NAME-M.eml. Usage: gen.py DIR BASE [NAME,NAME...]
import sys, os, base64, zlib, io, zipfile
out = sys.argv[1]; os.makedirs(out, exist_ok=True)
H = "From: a@example.com\r\nTo: b@example.org\r\nSubject: t\r\nDate: Sun, 6 Dec 2026 06:00:00 +0000\r\nMessage-ID: <x@example.com>\r\nMIME-Version: 1.0\r\n"
def w(name, n, data):
    if isinstance(data, str): data = data.encode('latin-1', 'replace') if all(ord(c)<256 for c in data[:1000]) and all(ord(c) < 256 for c in data) else data.encode('utf-8')
    open(f"{out}/{name}-{n}.eml", "wb").write(data)
def body(ctype, b): return H + f"Content-Type: {ctype}\r\n\r\n" + b
C = {}
C['nest'] = lambda n: H + "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n' for i in range(n)) + "Content-Type: text/plain\r\n\r\nx\r\n" + "".join(f"--b{i}--\r\n" for i in reversed(range(n)))
C['nestmsg'] = lambda n: H + "Content-Type: message/rfc822\r\n\r\n"*n + "Subject: x\r\n\r\nbody\r\n"
C['parts'] = lambda n: body('multipart/mixed; boundary="b"', "".join("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(n)) + "--b--\r\n")
C['bprefix'] = lambda n: body('multipart/mixed; boundary="b"', ("--bb\r\n" * n) + "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n")
C['bprefix2'] = lambda n: body('multipart/mixed; boundary="' + 'a'*70 + '"', ("--" + 'a'*69 + "\r\n") * n + "--" + 'a'*70 + "--\r\n")
C['longhdr'] = lambda n: H + "X-Long: " + "a"*n + "\r\n\r\nbody\r\n"
C['longsubj'] = lambda n: H.replace("Subject: t", "Subject: " + "a "*(n//2)) + "\r\nbody\r\n"
C['foldhdr'] = lambda n: H + "X-Fold: a" + "\r\n a"*n + "\r\n\r\nbody\r\n"
C['manyhdr'] = lambda n: H + "X-A: b\r\n"*n + "\r\nbody\r\n"
C['ew'] = lambda n: H.replace("Subject: t", "Subject: " + "=?utf-8?q?a?= "*n) + "\r\nbody\r\n"
C['ewb64'] = lambda n: H.replace("Subject: t", "Subject: " + "=?utf-8?B?YWJj?="*n) + "\r\nbody\r\n"
C['ewunterm'] = lambda n: H.replace("Subject: t", "Subject: " + "=?utf-8?q?"*n) + "\r\nbody\r\n"
C['ewfrom'] = lambda n: H.replace("From: a@example.com", "From: " + "=?utf-8?q?a?= "*n + "<a@example.com>") + "\r\nbody\r\n"
C['fromcomment'] = lambda n: H.replace("From: a@example.com", "From: a@example.com " + "("*n) + "\r\nbody\r\n"
C['fromquote'] = lambda n: H.replace("From: a@example.com", 'From: "' + 'a\\"'*n + " <a@example.com>") + "\r\nbody\r\n"
C['fromlt'] = lambda n: H.replace("From: a@example.com", 'From: ' + '<'*n + "a@example.com") + "\r\nbody\r\n"
C['fromat'] = lambda n: H.replace("From: a@example.com", 'From: ' + 'a@'*n) + "\r\nbody\r\n"
C['fromcomma'] = lambda n: H.replace("From: a@example.com", 'From: ' + 'a@b.c,'*n) + "\r\nbody\r\n"
C['tomany'] = lambda n: H.replace("To: b@example.org", 'To: ' + ', '.join(f'u{i}@e{i}.org' for i in range(n))) + "\r\nbody\r\n"
C['ctparam'] = lambda n: H + 'Content-Type: text/plain; ' + '; '.join(f'p{i}="v"' for i in range(n)) + "\r\n\r\nbody\r\n"
C['ctquote'] = lambda n: H + 'Content-Type: text/plain; name="' + 'a\\'*n + "\r\n\r\nbody\r\n"
C['ctcomment'] = lambda n: H + 'Content-Type: text/plain; (' + '('*n + "\r\n\r\nbody\r\n"
C['rfc2231'] = lambda n: H + 'Content-Type: application/octet-stream\r\nContent-Disposition: attachment; ' + '; '.join(f'filename*{i}*=%41%42' for i in range(n)) + "\r\n\r\nbody\r\n"
C['rfc2231rev'] = lambda n: H + 'Content-Type: application/octet-stream\r\nContent-Disposition: attachment; ' + '; '.join(f'filename*{i}=ab' for i in reversed(range(n))) + "\r\n\r\nbody\r\n"
C['rfc2231big'] = lambda n: H + 'Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*0=a; filename*' + str(n) + '=b; ' + '; '.join(f'filename*{i*1000}=c' for i in range(1, 50)) + "\r\n\r\nbody\r\n"
C['qp'] = lambda n: H + "Content-Transfer-Encoding: quoted-printable\r\nContent-Type: text/plain\r\n\r\n" + "=\r\n"*n
C['qpeq'] = lambda n: H + "Content-Transfer-Encoding: quoted-printable\r\nContent-Type: text/plain\r\n\r\n" + "="*n
C['qpspace'] = lambda n: H + "Content-Transfer-Encoding: quoted-printable\r\nContent-Type: text/plain\r\n\r\n" + " "*n + "x\r\n"
C['b64junk'] = lambda n: H + "Content-Transfer-Encoding: base64\r\nContent-Type: text/plain\r\n\r\n" + "!"*n
C['b64pad'] = lambda n: H + "Content-Transfer-Encoding: base64\r\nContent-Type: text/plain\r\n\r\n" + "="*n
C['uu'] = lambda n: body('text/plain', "begin 644 a.txt\r\n" + "M" + "!"*60 + "\r\n"*0 + ("M" + "!"*60 + "\r\n")*n + "end\r\n")
C['uumany'] = lambda n: body('text/plain', "begin 644 a.txt\r\n`\r\nend\r\n"*n)
C['binhex'] = lambda n: body('text/plain', "(This file must be converted with BinHex 4.0)\r\n:" + "!"*n + ":\r\n")
C['htmltags'] = lambda n: body('text/html', "<div>"*n + "hello")
C['htmlattr'] = lambda n: body('text/html', '<a href="' + 'a'*n + '">x</a>')
C['htmlattrq'] = lambda n: body('text/html', '<a href="' + 'a='*n)
C['htmllt'] = lambda n: body('text/html', '<'*n)
C['htmllt2'] = lambda n: body('text/html', '<a '*n)
C['htmlcomment'] = lambda n: body('text/html', '<!--'*n)
C['htmlcomment2'] = lambda n: body('text/html', '<!-- '+ '--!>x'*n)
C['htmlent'] = lambda n: body('text/html', '&'*n)
C['htmlent2'] = lambda n: body('text/html', '&#'*n)
C['htmlstyle'] = lambda n: body('text/html', '<style>' + 'a{' * n)
C['htmlstyle2'] = lambda n: body('text/html', '<div style="display:none">'*n + 'x')
C['htmlscript'] = lambda n: body('text/html', '<script>' * n)
C['htmltable'] = lambda n: body('text/html', '<table><tr><td>'*n)
C['htmlfont'] = lambda n: body('text/html', '<font size=0>'*n + "x")
C['htmlspan'] = lambda n: body('text/html', '<span style="font-size:0">'*n + "x" + "</span>"*n)
C['htmlclose'] = lambda n: body('text/html', '</div>'*n)
C['htmlunq'] = lambda n: body('text/html', '<a href=' + 'x'*n)
C['htmlimg'] = lambda n: body('text/html', '<img src="http://a.b/c">'*n)
C['runa'] = lambda n: body('text/plain', 'a'*n)
C['rundot'] = lambda n: body('text/plain', '.'*n)
C['runat'] = lambda n: body('text/plain', '@'*n)
C['runslash'] = lambda n: body('text/plain', '/'*n)
C['rundigit'] = lambda n: body('text/plain', '1'*n)
C['runhyphen'] = lambda n: body('text/plain', 'a-'*(n//2))
C['runadot'] = lambda n: body('text/plain', 'a.'*(n//2))
C['runaat'] = lambda n: body('text/plain', 'a@a.'*(n//4))
C['rundollar'] = lambda n: body('text/plain', '$1'*(n//2))
C['runpct'] = lambda n: body('text/plain', '%'*n)
C['runexcl'] = lambda n: body('text/plain', '!'*n)
C['runspace'] = lambda n: body('text/plain', ' '*n + 'x')
C['runnl'] = lambda n: body('text/plain', '\r\n'*n)
C['runcr'] = lambda n: body('text/plain', '\r'*n)
C['cjk'] = lambda n: (H + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n").encode() + ("日本語のテキスト"*(n//8)).encode('utf-8')
C['kana'] = lambda n: (H + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n").encode() + ("あ"*n).encode('utf-8')
C['kanji'] = lambda n: (H + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n").encode() + ("漢"*n).encode('utf-8')
C['sjis'] = lambda n: (H + "Content-Type: text/plain; charset=iso-2022-jp\r\n\r\n").encode() + (b"\x1b$B" + b"$\"" * n + b"\x1b(B")
C['url'] = lambda n: body('text/plain', 'http://a.com/ '*(n//14))
C['urlnospace'] = lambda n: body('text/plain', 'http://'*(n//7))
C['urlwww'] = lambda n: body('text/plain', 'www.'*(n//4))
C['urllong'] = lambda n: body('text/plain', 'http://' + 'a.'*(n//2))
C['urlpath'] = lambda n: body('text/plain', 'http://a.com/' + 'a/'*(n//2))
C['urlq'] = lambda n: body('text/plain', 'http://a.com/?' + 'a=b&'*(n//4))
C['urlpct'] = lambda n: body('text/plain', 'http://a.com/' + '%41'*(n//3))
C['urlat'] = lambda n: body('text/plain', 'http://' + 'a@'*(n//2) + 'b.com')
C['urlip'] = lambda n: body('text/plain', 'http://' + '1.'*(n//2))
C['emails'] = lambda n: body('text/plain', 'a@b.co '*(n//7))
C['emaillong'] = lambda n: body('text/plain', 'a'*n + '@' + 'b.'*(n//2))
C['mailto'] = lambda n: body('text/html', '<a href="mailto:' + 'a,'*(n//2) + '">x</a>')
C['ar'] = lambda n: H + "Authentication-Results: mx.example; " + "spf=pass smtp.mailfrom=a; "*(n//26) + "\r\n\r\nb\r\n"
C['arcomment'] = lambda n: H + "Authentication-Results: mx.example; " + "("*n + "\r\n\r\nb\r\n"
C['dkimtags'] = lambda n: H + "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=; b=; " + "x=1; "*(n//5) + "\r\n\r\nb\r\n"
C['dkimh'] = lambda n: H + "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s; bh=; b=; h=" + "from:"*(n//5) + "from\r\n\r\nb\r\n"
C['dkimmany'] = lambda n: H + "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=; b=\r\n"*(n//70) + "\r\nb\r\n"
C['arcmany'] = lambda n: H + "".join(f"ARC-Seal: i={i}; a=rsa-sha256; cv=pass; d=example.com; s=s; b=\r\n" for i in range(n//70)) + "\r\nb\r\n"
C['received'] = lambda n: "Received: from a by b; Sun, 6 Dec 2026 06:00:00 +0000\r\n"*(n//55) + H + "\r\nb\r\n"
C['date'] = lambda n: H.replace("Date: Sun, 6 Dec 2026 06:00:00 +0000", "Date: " + "("*n) + "\r\nb\r\n"
C['msgid'] = lambda n: H.replace("Message-ID: <x@example.com>", "Message-ID: " + "<"*n) + "\r\nb\r\n"
C['ctype'] = lambda n: H + "Content-Type: " + "/"*n + "\r\n\r\nb\r\n"
C['filename'] = lambda n: H + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: application/octet-stream; name="' + '. '*(n//2) + 'exe"\r\n\r\nx\r\n--b--\r\n'
C['filenamedot'] = lambda n: H + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Disposition: attachment; filename="a' + '.txt'*(n//4) + '"\r\n\r\nx\r\n--b--\r\n'
C['nocrlf'] = lambda n: "X:" + "a"*n
C['nohdrend'] = lambda n: H + "X-A: b\r\n" * (n//8)
C['hdrcolon'] = lambda n: ":"*n + "\r\n\r\nb"
C['spaceshdr'] = lambda n: H + "X-A:" + " "*n + "\r\n\r\nb"
def zipmany(n):
    bio = io.BytesIO(); z = zipfile.ZipFile(bio, 'w', zipfile.ZIP_STORED)
    for i in range(n): z.writestr(f"f{i}.txt", b"")
    z.close(); return bio.getvalue()
def att(data, name, ct="application/zip"):
    return (H + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: ' + ct + '; name="' + name + '"\r\nContent-Transfer-Encoding: base64\r\n\r\n').encode() + base64.encodebytes(data).replace(b"\n", b"\r\n") + b"--b--\r\n"
C['zipmany'] = lambda n: att(zipmany(n), "a.zip")
def zipnest(n):
    d = b"MZ" + b"\0"*100
    zf = "a.exe"
    for i in range(n):
        bio = io.BytesIO(); z = zipfile.ZipFile(bio, 'w', zipfile.ZIP_STORED); z.writestr(zf, d); z.close(); d = bio.getvalue(); zf = f"n{i}.zip"
    return d
C['zipnest'] = lambda n: att(zipnest(n), "a.zip")
def zipname(n):
    bio = io.BytesIO(); z = zipfile.ZipFile(bio, 'w', zipfile.ZIP_STORED); z.writestr("a"*n + ".txt", b"x"); z.close(); return bio.getvalue()
C['zipname'] = lambda n: att(zipname(min(n, 65000)), "a.zip")
def zipcomment(n):
    bio = io.BytesIO(); z = zipfile.ZipFile(bio, 'w', zipfile.ZIP_STORED); z.writestr("a.txt", b"x"); z.comment = b"PK\x05\x06"*min(n//4, 16000); z.close(); return bio.getvalue()
C['zipcomment'] = lambda n: att(zipcomment(n), "a.zip")
C['zipjunkpk'] = lambda n: att(b"PK\x03\x04"*(n//4), "a.zip")
C['zipjunkeocd'] = lambda n: att(b"PK\x05\x06"*(n//4), "a.zip")
def gzipbomb(n):
    return zlib.compress(b"\0"*n) 
import gzip, tarfile
C['gzzero'] = lambda n: att(gzip.compress(b"\0"*(n*100)), "a.gz", "application/gzip")
def tarmany(n):
    bio = io.BytesIO(); t = tarfile.open(fileobj=bio, mode='w')
    for i in range(n):
        ti = tarfile.TarInfo(f"f{i}.txt"); ti.size = 0; t.addfile(ti, io.BytesIO(b""))
    t.close(); return bio.getvalue()
C['tarmany'] = lambda n: att(tarmany(n), "a.tar", "application/x-tar")
C['gztarmany'] = lambda n: att(gzip.compress(tarmany(n)), "a.tgz", "application/gzip")
C['gzconcat'] = lambda n: att(gzip.compress(b"")*n, "a.gz", "application/gzip")
C['olejunk'] = lambda n: att(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\xff"*n, "a.doc", "application/msword")
C['pdfjunk'] = lambda n: att(b"%PDF-1.4\n" + b"<<"*n, "a.pdf", "application/pdf")
C['pdfobj'] = lambda n: att(b"%PDF-1.4\n" + b"1 0 obj\n"*(n//8), "a.pdf", "application/pdf")
# ISO-2022-JP text left in kanji mode over a run of line ends before more kanji (session 39: each line end of the run
# looked at the same next line, quadratic), in the body and in an encoded Subject
C['jisnl'] = lambda n: H + "Content-Type: text/plain; charset=iso-2022-jp\r\n\r\n\x1b$B$\"" + "\n"*n + "$\"$B\r\n"
C['jiscr'] = lambda n: H + "Content-Type: text/plain; charset=iso-2022-jp\r\n\r\n\x1b$B$\"" + "\r"*n + "$\"$B\r\n"
# Session 40 (protocol and MIME fuzzing from outside): repeated header copies (each pair compared?), NULs, bare CR and
# LF line ends in the header, multiparts whose boundary is missing or never comes, unclosed nesting, garbage base64
C['ctdup'] = lambda n: H + "".join(f"Content-Type: text/plain; charset=x{i}\r\n" for i in range(n)) + "\r\nb\r\n"
C['cddup'] = lambda n: H + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n' + "".join(f'Content-Disposition: attachment; filename="f{i}.txt"\r\n' for i in range(n)) + "\r\nx\r\n--b--\r\n"
C['ctedup'] = lambda n: H + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: application/octet-stream; name="a.exe"\r\n' + "".join("Content-Transfer-Encoding: %s\r\n" % ("7bit" if i % 2 else "base64") for i in range(n)) + "\r\nTVqQ\r\n--b--\r\n"
C['nulhdr'] = lambda n: H + "X-A: " + "\0"*n + "\r\n\r\nb\r\n"
C['nulbody'] = lambda n: body('text/plain', "\0"*n)
C['lfhdr'] = lambda n: H.replace("\r\n", "\n") + "X-A: b\n"*n + "\nbody\n"
C['crhdr'] = lambda n: H.replace("\r\n", "\r") + "X-A: b\r"*n + "\rbody\r"
C['noboundary'] = lambda n: body('multipart/mixed', "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n"*n)
C['neverboundary'] = lambda n: body('multipart/mixed; boundary="b"', "--c\r\nContent-Type: text/plain\r\n\r\nx\r\n"*n)
C['nestunclosed'] = lambda n: H + 'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n' + "".join(f'--b{i}\r\nContent-Type: multipart/mixed; boundary="b{i+1}"\r\n\r\n' for i in range(n)) + "x\r\n"
C['partshdrs'] = lambda n: body('multipart/mixed; boundary="b"', "--b\r\n" + "X-A: b\r\n"*n + "\r\nx\r\n--b--\r\n")
C['b64mixed'] = lambda n: H + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: application/octet-stream; name="a.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n' + "QUJD!!\r\n"*n + "--b--\r\n"
C['ewnul'] = lambda n: H.replace("Subject: t", "Subject: " + "=?utf-8?q?a=00?= "*n) + "\r\nbody\r\n"
C['mixedeol'] = lambda n: body('multipart/mixed; boundary="b"', "--b\nContent-Type: text/plain\r\rx\n\r"*n + "--b--\r\n")
# Session 42 (hostile structure in the scanners): one long base64 line without line ends (text and attachment), many
# yEnc begin lines, named and numeric entities, many tiny named attachments, many encoded words in a file name
C['b64long'] = lambda n: H + "Content-Transfer-Encoding: base64\r\nContent-Type: text/plain\r\n\r\n" + base64.b64encode(b"hello world " * (n // 16)).decode()
C['b64longatt'] = lambda n: H + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: application/octet-stream; name="a.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n' + base64.b64encode(b"\x00\x01binary" * (n // 12)).decode() + "\r\n--b--\r\n"
C['yencmany'] = lambda n: body('text/plain', "=ybegin line=128 size=1 name=a.bin\r\nk\r\n=yend size=1\r\n"*n)
C['htmlentnamed'] = lambda n: body('text/html', '&amp;&lt;&nbsp;&#65;&#x41;'*(n//25))
C['partsatt'] = lambda n: body('multipart/mixed; boundary="b"', "".join(f'--b\r\nContent-Type: application/octet-stream; name="f{i}.pdf"\r\nContent-Disposition: attachment; filename="f{i}.pdf"\r\n\r\n%PDF-1.4\r\n' for i in range(n)) + "--b--\r\n")
C['ewname'] = lambda n: H + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: application/octet-stream; name="' + "=?utf-8?b?YS5leGU=?="*n + '"\r\n\r\nx\r\n--b--\r\n'
which = sys.argv[3].split(',') if len(sys.argv) > 3 else list(C)
base = int(sys.argv[2])
scale = {'yencmany':1/55, 'partsatt':1/2200, 'ewname':1/20, 'ctdup':1/40, 'cddup':1/50, 'ctedup':1/30, 'lfhdr':1/7, 'crhdr':1/7, 'noboundary':1/40, 'neverboundary':1/40, 'nestunclosed':1/100, 'partshdrs':1/8, 'b64mixed':1/8, 'ewnul':1/17, 'mixedeol':1/35, 'nest':1/100, 'nestmsg':1/100, 'parts':1/40, 'bprefix':1/6, 'bprefix2':1/70, 'foldhdr':1/3,'manyhdr':1/8,'ew':1/14,'ewb64':1/16,'ewunterm':1/10,'ewfrom':1/14,
         'tomany':1/14,'ctparam':1/8,'rfc2231':1/20,'rfc2231rev':1/16, 'uu':1/63,'uumany':1/20,'qp':1/3,'zipmany':1/60,'zipnest':1/500,'tarmany':1/1100,'gztarmany':1/1100,'gzconcat':1/20,
         'htmltags':1/5,'htmlimg':1/24, 'htmlstyle2':1/26,'htmlspan':1/33,'htmltable':1/15, 'fromcomma':1/6,'fromquote':1/3, 'kana':1/3,'kanji':1/3, 'runnl':1/2, 'htmlfont':1/13,'htmlscript':1/8, 'htmlclose':1/6, 'htmlcomment2':1/5}
for k in which:
    for m in (1,2,4,8):
        n = max(1, int(base * m * scale.get(k, 1)))
        w(k, m, C[k](n))
