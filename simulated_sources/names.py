"""Vietnamese family, middle and given names with rough real-world frequencies."""

FAMILY_NAMES: tuple[tuple[str, int], ...] = (
    ("Nguyễn", 380), ("Trần", 110), ("Lê", 95), ("Phạm", 70), ("Huỳnh", 35), ("Hoàng", 20),
    ("Phan", 45), ("Võ", 30), ("Vũ", 10), ("Đặng", 21), ("Bùi", 20), ("Đỗ", 14), ("Hồ", 13),
    ("Ngô", 13), ("Dương", 10), ("Lý", 5), ("Trương", 8), ("Đinh", 6), ("Lâm", 6), ("Mai", 5),
    ("Tô", 3), ("Châu", 4), ("Cao", 3), ("Lưu", 3), ("Tạ", 2), ("Thái", 2), ("Quách", 2),
)

MIDDLE_NAMES_MALE: tuple[tuple[str, int], ...] = (
    ("Văn", 400), ("Hữu", 60), ("Đức", 60), ("Minh", 80), ("Quốc", 50), ("Thanh", 50),
    ("Hoàng", 40), ("Công", 40), ("Tấn", 40), ("Trọng", 30), ("Gia", 30), ("Anh", 30),
)

MIDDLE_NAMES_FEMALE: tuple[tuple[str, int], ...] = (
    ("Thị", 450), ("Ngọc", 80), ("Thanh", 50), ("Thu", 40), ("Kim", 40), ("Bích", 25),
    ("Mỹ", 40), ("Hoàng", 20), ("Phương", 30), ("Minh", 30), ("Như", 25), ("Thuỳ", 20),
)

GIVEN_NAMES_MALE: tuple[str, ...] = (
    "An", "Bảo", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Định", "Đông", "Giang", "Hải", "Hào",
    "Hiếu", "Hòa", "Hoàng", "Huy", "Hùng", "Hưng", "Khang", "Khánh", "Khoa", "Kiên", "Lâm",
    "Lộc", "Long", "Luân", "Minh", "Nam", "Nghĩa", "Nhân", "Phát", "Phong", "Phúc", "Phước",
    "Quang", "Quân", "Sang", "Sơn", "Tài", "Tâm", "Tân", "Thắng", "Thành", "Thiện", "Thịnh",
    "Thông", "Tiến", "Toàn", "Trí", "Trung", "Tuấn", "Tùng", "Việt", "Vinh", "Vũ", "Hậu",
    "Lợi", "Thuận", "Tú", "Tuyến",
)

GIVEN_NAMES_FEMALE: tuple[str, ...] = (
    "Anh", "Ánh", "Bích", "Châu", "Chi", "Diễm", "Dung", "Duyên", "Giang", "Hà", "Hạnh", "Hằng",
    "Hiền", "Hoa", "Hòa", "Huệ", "Hương", "Huyền", "Khánh", "Lan", "Liên", "Linh", "Loan",
    "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhung", "Nhi", "Oanh", "Phương", "Phượng", "Quyên",
    "Quỳnh", "Tâm", "Thảo", "Thanh", "Thủy", "Thúy", "Thư", "Tiên", "Trang", "Trâm", "Trinh",
    "Tuyết", "Uyên", "Vân", "Vy", "Xuân", "Yến", "Hậu", "Lệ", "Diệu", "Nguyệt", "Thoa",
    "Cúc", "Đào", "Kiều", "Sương",
)

STREET_NAMES: tuple[str, ...] = (
    "Hùng Vương", "Nguyễn Huệ", "Trần Hưng Đạo", "Lê Lợi", "Quốc lộ 1A", "Quốc lộ 62",
    "Tỉnh lộ 830", "Nguyễn Thông", "Bảo Định", "Trương Định", "Võ Văn Tần", "Nguyễn Trung Trực",
    "Châu Thị Kim", "Huỳnh Văn Nhứt", "Nguyễn Đình Chiểu", "Đường 30/4", "Mai Thị Tốt",
)
